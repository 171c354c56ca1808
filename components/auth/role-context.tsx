"use client";

import { createContext, useContext } from "react";

export type Role = "admin" | "auditor";

export type SignedInUser = { id: string; email: string; name: string; role: Role };

export const READ_ONLY_TITLE = "Read-only: your role is auditor";

const SessionUserContext = createContext<SignedInUser | null>(null);

/** The signed-in person, read on the server by the dashboard layout, for the client components below it. */
export function RoleProvider({ user, children }: { user: SignedInUser; children: React.ReactNode }) {
  return <SessionUserContext.Provider value={user}>{children}</SessionUserContext.Provider>;
}

export function useSessionUser(): SignedInUser | null {
  return useContext(SessionUserContext);
}

/** Whether the UI offers changes: admins only. Outside the provider nothing is editable (the server decides anyway). */
export function useCanEdit(): boolean {
  return useContext(SessionUserContext)?.role === "admin";
}

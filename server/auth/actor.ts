// Who is calling: the one type every procedure, service and audit row uses to name the caller.
import type { Role } from "@/db/schema";

/** A caller the server has identified: a signed-in person, an API token, or Pomona itself (the demo, sync at start). */
export type Principal =
  | { kind: "user"; id: string; name: string; role: Role; ip?: string }
  | { kind: "token"; id: string; name: string; role: Role; ip?: string }
  | { kind: "system"; name: "system"; role: "admin" };

export type Actor = { kind: "anonymous"; ip?: string } | Principal;

export const SYSTEM: Principal = { kind: "system", name: "system", role: "admin" };

/** Roles in order of what they may do: an admin may do everything an auditor may. */
const RANK: Record<Role, number> = { auditor: 1, admin: 2 };

export function hasRole(actor: Actor, role: Role): actor is Principal {
  return actor.kind !== "anonymous" && RANK[actor.role] >= RANK[role];
}

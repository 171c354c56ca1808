"use client";

import { useState } from "react";

import { Button } from "@/components/ui/button";

/** Ends this browser's session (better-auth deletes the row) and goes to the sign-in page. */
export function SignOutButton() {
  const [state, setState] = useState<"idle" | "pending" | "failed">("idle");
  async function signOut() {
    setState("pending");
    try {
      const res = await fetch("/api/auth/sign-out", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      if (!res.ok && res.status !== 401) throw new Error(`HTTP ${res.status}`);
      window.location.assign("/login");
    } catch {
      setState("failed");
    }
  }
  return (
    <>
      <Button
        type="button"
        variant="ghost"
        className="mt-3 w-full justify-start px-3 text-slate-300 hover:bg-white/10 hover:text-white"
        disabled={state === "pending"}
        onClick={() => void signOut()}
      >
        {state === "pending" ? "Signing out…" : "Sign out"}
      </Button>
      {state === "failed" ? (
        <p role="alert" className="mt-1 px-3 text-xs text-red-300">
          Sign-out failed. Check the connection and try again.
        </p>
      ) : null}
    </>
  );
}

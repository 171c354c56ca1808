// For router tests: a caller over test deps, and the tRPC code (or "no error") a call ends with.
import { TRPCError } from "@trpc/server";

import type { Deps } from "@/server/deps";

import type { Actor } from "@/server/auth/actor";

import { createContextInner } from "./context";
import { createCallerFactory } from "./init";
import { appRouter } from "./root";

const createCaller = createCallerFactory(appRouter);

/** An admin signed in as a person: what most router tests act as. */
export const TEST_ADMIN: Actor = { kind: "user", id: "test-admin", name: "admin@example.com", role: "admin" };
export const TEST_AUDITOR: Actor = { kind: "user", id: "test-auditor", name: "auditor@example.com", role: "auditor" };

export function testCaller(deps: Deps, actor: Actor = TEST_ADMIN, bearerRejected?: boolean) {
  return createCaller(createContextInner({ deps, actor, bearerRejected }));
}

/** The TRPCError code a call fails with, or "no error". */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (e) {
    return e instanceof TRPCError ? e.code : `not a TRPCError: ${String(e)}`;
  }
  return "no error";
}

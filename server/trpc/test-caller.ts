// For router tests: a caller over test deps, and the tRPC code (or "no error") a call ends with.
import { TRPCError } from "@trpc/server";

import type { Deps } from "@/server/deps";

import { createContextInner, type Actor } from "./context";
import { createCallerFactory } from "./init";
import { appRouter } from "./root";

const createCaller = createCallerFactory(appRouter);

export function testCaller(deps: Deps, actor?: Actor, bearerRejected?: boolean) {
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

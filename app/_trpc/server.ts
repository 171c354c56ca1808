// Server Components call procedures in-process through this caller (the same checks as over HTTP).
import "server-only";

import { cache } from "react";

import { getDeps } from "@/server/deps";
import { createContextInner } from "@/server/trpc/context";
import { createCallerFactory } from "@/server/trpc/init";
import { appRouter } from "@/server/trpc/root";

const createCaller = createCallerFactory(appRouter);

export const api = cache(() => createCaller(createContextInner({ deps: getDeps() })));

/**
 * What the same call returns over HTTP: with no transformer, Dates become ISO strings. Pages pass this to
 * client components so both paths share the types inferred from AppRouter (`inferRouterOutputs`).
 */
export function wire<T>(value: T): JsonOf<T> {
  return JSON.parse(JSON.stringify(value)) as JsonOf<T>;
}

type JsonOf<T> = T extends Date
  ? string
  : T extends (infer U)[]
    ? JsonOf<U>[]
    : T extends object
      ? { [K in keyof T]: JsonOf<T[K]> }
      : T;

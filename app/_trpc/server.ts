// Server Components call procedures in-process through this caller (the same checks as over HTTP).
import "server-only";

import { headers } from "next/headers";
import { cache } from "react";

import { getDeps } from "@/server/deps";
import { actorOf, createContextInner } from "@/server/trpc/context";
import { createCallerFactory } from "@/server/trpc/init";
import { appRouter } from "@/server/trpc/root";

const createCaller = createCallerFactory(appRouter);

/** The caller for this request: the same session cookie, so the same role checks, as over HTTP. */
export const api = cache(() =>
  createCaller(async () => {
    const deps = getDeps();
    return createContextInner({ deps, ...(await actorOf(deps, await headers())) });
  }),
);

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

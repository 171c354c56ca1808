// tRPC context: the shared deps plus who is calling. createContextInner is what tests call directly.
import { timingSafeEqual } from "node:crypto";

import { getDeps, type Deps } from "@/server/deps";
import { authenticateApiToken } from "@/server/services/api-tokens";
import type { Role } from "@/db/schema";

/** Who is calling. Step 6 adds signed-in users and stored API tokens; the env admin token works already. */
export type Actor = { kind: "anonymous" } | { kind: "token"; role: Role; label: string };

export type Context = { deps: Deps; actor: Actor; bearerRejected: boolean };

export function createContextInner(opts: { deps: Deps; actor?: Actor; bearerRejected?: boolean }): Context {
  return { deps: opts.deps, actor: opts.actor ?? { kind: "anonymous" }, bearerRejected: opts.bearerRejected ?? false };
}

const safeEqual = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

export function createContext(opts: { req: Request }): Context {
  const deps = getDeps();
  const bearer = /^Bearer\s+(.+)$/i.exec(opts.req.headers.get("authorization") ?? "")?.[1]?.trim();
  if (bearer === undefined) return createContextInner({ deps });
  const adminToken = deps.env.POMONA_API_TOKEN;
  if (adminToken && safeEqual(bearer, adminToken)) return createContextInner({ deps, actor: { kind: "token", role: "admin", label: "POMONA_API_TOKEN" } });
  const stored = authenticateApiToken(deps, bearer);
  if (stored) return createContextInner({ deps, actor: { kind: "token", role: stored.role, label: stored.label } });
  return createContextInner({ deps, bearerRejected: true });
}

export function actorName(actor: Actor): string {
  return actor.kind === "token" ? `token:${actor.label}` : "local admin";
}

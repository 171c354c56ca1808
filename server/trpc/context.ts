// tRPC context: the shared deps plus who is calling. createContextInner is what tests call directly.
import { timingSafeEqual } from "node:crypto";

import type { Actor } from "@/server/auth/actor";
import { sessionUserOf } from "@/server/auth/auth";
import { clientIpOf } from "@/server/auth/origins";
import { getDeps, type Deps } from "@/server/deps";
import { authenticateApiToken } from "@/server/services/api-tokens";

export type Context = { deps: Deps; actor: Actor; bearerRejected: boolean };

export function createContextInner(opts: { deps: Deps; actor?: Actor; bearerRejected?: boolean }): Context {
  return { deps: opts.deps, actor: opts.actor ?? { kind: "anonymous" }, bearerRejected: opts.bearerRejected ?? false };
}

const safeEqual = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** Scripts send `Authorization: Bearer <API token>`; browsers the session cookie (DESIGN §4.2). */
export async function actorOf(deps: Deps, headers: Headers): Promise<{ actor: Actor; bearerRejected: boolean }> {
  const ip = clientIpOf(headers);
  const bearer = /^Bearer\s+(.+)$/i.exec(headers.get("authorization") ?? "")?.[1]?.trim();
  if (bearer !== undefined) {
    const adminToken = deps.env.POMONA_API_TOKEN;
    if (adminToken && safeEqual(bearer, adminToken)) return { actor: { kind: "token", id: "env", name: "POMONA_API_TOKEN", role: "admin", ip }, bearerRejected: false };
    const stored = authenticateApiToken(deps, bearer);
    if (stored) return { actor: { kind: "token", id: String(stored.id), name: `token:${stored.label}`, role: stored.role, ip }, bearerRejected: false };
    return { actor: { kind: "anonymous", ip }, bearerRejected: true };
  }
  const user = await sessionUserOf(deps, headers);
  if (user) return { actor: { kind: "user", id: user.id, name: user.email, role: user.role, ip }, bearerRejected: false };
  return { actor: { kind: "anonymous", ip }, bearerRejected: false };
}

export async function createContext(opts: { req: Request }): Promise<Context> {
  const deps = getDeps();
  return createContextInner({ deps, ...(await actorOf(deps, opts.req.headers)) });
}

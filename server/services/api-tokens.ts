// API tokens for scripts (Step 6 item 3): created and revoked by admins, shown once, stored as SHA-256,
// sent as `Authorization: Bearer …`, each carrying a role.
import { createHash, randomBytes } from "node:crypto";

import { and, desc, eq, isNull } from "drizzle-orm";

import type { Deps } from "@/server/deps";
import { AppError } from "@/server/errors";
import { apiTokens, events, type Role } from "@/db/schema";

const hash = (token: string) => createHash("sha256").update(token).digest("hex");

/** Creates a token; its value is returned this once and never stored. */
export function createApiToken(deps: Pick<Deps, "db" | "clock">, input: { label: string; role: Role }, actor: string) {
  const now = deps.clock.now();
  const token = `pom_${randomBytes(24).toString("base64url")}`;
  return deps.db.transaction(
    (tx) => {
      const row = tx.insert(apiTokens).values({ label: input.label, role: input.role, tokenHash: hash(token), createdAt: now }).returning({ id: apiTokens.id }).get();
      tx.insert(events).values({ at: now, category: "admin", type: "api_token.created", actor, message: `API token "${input.label}" (${input.role}) created by ${actor}` }).run();
      return { id: row.id, token, label: input.label, role: input.role };
    },
    { behavior: "immediate" },
  );
}

/** Every token, never its value or hash. */
export function listApiTokens(deps: Pick<Deps, "db">) {
  return deps.db
    .select({ id: apiTokens.id, label: apiTokens.label, role: apiTokens.role, createdAt: apiTokens.createdAt, lastUsedAt: apiTokens.lastUsedAt, revokedAt: apiTokens.revokedAt })
    .from(apiTokens)
    .orderBy(desc(apiTokens.id))
    .all();
}

/** Revokes a token at once; revoking twice changes nothing more. */
export function revokeApiToken(deps: Pick<Deps, "db" | "clock">, input: { id: number }, actor: string) {
  const now = deps.clock.now();
  return deps.db.transaction(
    (tx) => {
      const row = tx.select().from(apiTokens).where(eq(apiTokens.id, input.id)).get();
      if (!row) throw new AppError("NOT_FOUND", `No API token with id ${input.id}`);
      if (row.revokedAt) return { id: row.id, revokedAt: row.revokedAt };
      tx.update(apiTokens).set({ revokedAt: now }).where(eq(apiTokens.id, row.id)).run();
      tx.insert(events).values({ at: now, category: "admin", type: "api_token.revoked", actor, message: `API token "${row.label}" revoked by ${actor}` }).run();
      return { id: row.id, revokedAt: now };
    },
    { behavior: "immediate" },
  );
}

/** The role and label of a live token, or undefined; stamps its last use. */
export function authenticateApiToken(deps: Pick<Deps, "db" | "clock">, token: string): { role: Role; label: string } | undefined {
  if (token.length > 200) return undefined;
  const row = deps.db
    .select()
    .from(apiTokens)
    .where(and(eq(apiTokens.tokenHash, hash(token)), isNull(apiTokens.revokedAt)))
    .get();
  if (!row) return undefined;
  deps.db.update(apiTokens).set({ lastUsedAt: deps.clock.now() }).where(eq(apiTokens.id, row.id)).run();
  return { role: row.role, label: row.label };
}

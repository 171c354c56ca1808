// API tokens for scripts (Step 6 item 3): created and revoked by admins, shown once, stored as SHA-256,
// sent as `Authorization: Bearer …`, each carrying a role.
import { createHash, randomBytes } from "node:crypto";

import { and, desc, eq, isNull } from "drizzle-orm";

import type { Principal } from "@/server/auth/actor";
import type { Deps } from "@/server/deps";
import { AppError } from "@/server/errors";
import { recordAdminAction } from "@/server/services/audit";
import { apiTokens, type Role } from "@/db/schema";

const hash = (token: string) => createHash("sha256").update(token).digest("hex");

/** Creates a token; its value is returned this once and never stored. */
export function createApiToken(deps: Pick<Deps, "db" | "clock">, input: { label: string; role: Role }, by: Principal) {
  const now = deps.clock.now();
  const token = `pom_${randomBytes(24).toString("base64url")}`;
  return deps.db.transaction(
    (tx) => {
      const row = tx
        .insert(apiTokens)
        .values({ label: input.label, role: input.role, tokenHash: hash(token), createdAt: now }) // who created it: the audit log
        .returning({ id: apiTokens.id })
        .get();
      recordAdminAction(tx, now, by, {
        action: "api_token.created",
        target: { type: "api_token", id: row.id, name: input.label },
        summary: `API token "${input.label}" (${input.role}) created`,
        changes: { label: input.label, role: input.role },
      });
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
export function revokeApiToken(deps: Pick<Deps, "db" | "clock">, input: { id: number }, by: Principal) {
  const now = deps.clock.now();
  return deps.db.transaction(
    (tx) => {
      const row = tx.select().from(apiTokens).where(eq(apiTokens.id, input.id)).get();
      if (!row) throw new AppError("NOT_FOUND", `No API token with id ${input.id}`);
      const revokedAt = row.revokedAt ?? now;
      if (!row.revokedAt) tx.update(apiTokens).set({ revokedAt }).where(eq(apiTokens.id, row.id)).run();
      recordAdminAction(tx, now, by, {
        action: "api_token.revoked",
        target: { type: "api_token", id: row.id, name: row.label },
        summary: row.revokedAt ? `API token "${row.label}" was already revoked` : `API token "${row.label}" revoked`,
        changes: row.revokedAt ? {} : { revokedAt: now.toISOString() },
      });
      return { id: row.id, revokedAt };
    },
    { behavior: "immediate" },
  );
}

/** The role and label of a live token, or undefined; stamps its last use. */
export function authenticateApiToken(deps: Pick<Deps, "db" | "clock">, token: string): { id: number; role: Role; label: string } | undefined {
  if (token.length > 200) return undefined;
  const row = deps.db
    .select()
    .from(apiTokens)
    .where(and(eq(apiTokens.tokenHash, hash(token)), isNull(apiTokens.revokedAt)))
    .get();
  if (!row) return undefined;
  deps.db.update(apiTokens).set({ lastUsedAt: deps.clock.now() }).where(eq(apiTokens.id, row.id)).run();
  return { id: row.id, role: row.role, label: row.label };
}

// Enrollment tokens (DESIGN §4.1, §4.2 `enrollment.*`): admins make them, Macs present them at
// GET /mdm/enroll. A token is a secret: only its SHA-256 is stored, and its value is returned once.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

import { desc, eq, sql } from "drizzle-orm";

import type { Principal } from "@/server/auth/actor";
import type { Deps } from "@/server/deps";
import { AppError } from "@/server/errors";
import { recordAdminAction } from "@/server/services/audit";
import { insertEvent } from "@/server/services/events";
import type { Db } from "@/db/client";
import { enrollmentTokens } from "@/db/schema";

export const ENROLL_PATH = "/mdm/enroll";
/** Longer inputs are refused before hashing: no real token is anywhere near this long. */
const MAX_TOKEN_LENGTH = 512;
const ENV_TOKEN_LABEL = "POMONA_ENROLL_TOKEN";

const sha256Hex = (value: string) => createHash("sha256").update(value, "utf8").digest("hex");

/** Compares two secrets in constant time, whatever their lengths (both are hashed to 32 bytes first). */
function secretsEqual(a: string, b: string): boolean {
  const ha = createHash("sha256").update(a, "utf8").digest();
  const hb = createHash("sha256").update(b, "utf8").digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}

/** The URL a Mac opens to download its enrollment profile. */
export function enrollmentUrl(deps: Pick<Deps, "publicUrl">, token: string): string {
  return `${deps.publicUrl}${ENROLL_PATH}?token=${encodeURIComponent(token)}`;
}

/** Makes an enrollment token and writes one admin event, in one transaction. The token is shown only here. */
export function createEnrollmentToken(
  deps: Pick<Deps, "db" | "clock" | "publicUrl">,
  input: { label?: string; expiresAt?: Date },
  by: Principal,
): { id: number; token: string; url: string } {
  const now = deps.clock.now();
  const label = input.label?.trim() ?? "";
  const expiresAt = input.expiresAt ?? null;
  if (expiresAt && Number.isNaN(expiresAt.getTime())) throw new AppError("BAD_REQUEST", "expiresAt is not a valid date");
  if (expiresAt && expiresAt.getTime() <= now.getTime()) throw new AppError("BAD_REQUEST", "expiresAt must be in the future");

  const token = `enr_${randomBytes(24).toString("base64url")}`;
  const id = deps.db.transaction(
    (tx) => {
      const row = tx.insert(enrollmentTokens).values({ label, tokenHash: sha256Hex(token), createdAt: now, expiresAt }).returning({ id: enrollmentTokens.id }).get();
      recordAdminAction(tx, now, by, {
        action: "enrollment_token.created",
        target: { type: "enrollment_token", id: row.id, name: label || null },
        summary: `Enrollment token ${describeToken(row.id, label)} created${expiresAt ? `, expires ${expiresAt.toISOString()}` : ""}`,
        changes: { label, expiresAt: expiresAt?.toISOString() ?? null },
      });
      return row.id;
    },
    { behavior: "immediate" },
  );
  return { id, token, url: enrollmentUrl(deps, token) };
}

const describeToken = (id: number, label: string) => (label ? `#${id} "${label}"` : `#${id}`);

export type EnrollmentTokenSummary = {
  id: number;
  label: string;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  useCount: number;
  active: boolean;
};

/** Every enrollment token, newest first, without its hash. */
export function listEnrollmentTokens(deps: Pick<Deps, "db" | "clock">): EnrollmentTokenSummary[] {
  const now = deps.clock.now().getTime();
  const rows = deps.db
    .select({
      id: enrollmentTokens.id,
      label: enrollmentTokens.label,
      createdAt: enrollmentTokens.createdAt,
      expiresAt: enrollmentTokens.expiresAt,
      revokedAt: enrollmentTokens.revokedAt,
      lastUsedAt: enrollmentTokens.lastUsedAt,
      useCount: enrollmentTokens.useCount,
    })
    .from(enrollmentTokens)
    .orderBy(desc(enrollmentTokens.id))
    .all();
  return rows.map((r) => Object.assign({}, r, { active: r.revokedAt === null && (r.expiresAt === null || r.expiresAt.getTime() > now) }));
}

/** Revokes a token (idempotent: a second call changes nothing; it is still audited, as every admin call is). */
export function revokeEnrollmentToken(deps: Pick<Deps, "db" | "clock">, input: { id: number }, by: Principal): { id: number; revokedAt: Date } {
  const now = deps.clock.now();
  return deps.db.transaction(
    (tx) => {
      const row = tx.select().from(enrollmentTokens).where(eq(enrollmentTokens.id, input.id)).get();
      if (!row) throw new AppError("NOT_FOUND", `No enrollment token with id ${input.id}`);
      const revokedAt = row.revokedAt ?? now;
      if (!row.revokedAt) tx.update(enrollmentTokens).set({ revokedAt }).where(eq(enrollmentTokens.id, row.id)).run();
      recordAdminAction(tx, now, by, {
        action: "enrollment_token.revoked",
        target: { type: "enrollment_token", id: row.id, name: row.label || null },
        summary: row.revokedAt ? `Enrollment token ${describeToken(row.id, row.label)} was already revoked` : `Enrollment token ${describeToken(row.id, row.label)} revoked`,
        changes: row.revokedAt ? {} : { revokedAt: now.toISOString() },
      });
      return { id: row.id, revokedAt };
    },
    { behavior: "immediate" },
  );
}

export type RedeemResult = { ok: true; label: string } | { ok: false; reason: string };

/**
 * Checks a token a Mac presented: POMONA_ENROLL_TOKEN, or a stored token that is neither revoked nor
 * expired. A stored token's use count and last use are bumped. The reason is for logs, not for the Mac.
 */
export function redeemEnrollmentToken(deps: Pick<Deps, "db" | "clock" | "env">, token: string | null | undefined): RedeemResult {
  if (typeof token !== "string" || token.length === 0) return { ok: false, reason: "missing enrollment token" };
  if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: "unknown enrollment token" };

  const envToken = deps.env.POMONA_ENROLL_TOKEN;
  if (envToken && secretsEqual(token, envToken)) return { ok: true, label: ENV_TOKEN_LABEL };

  const now = deps.clock.now();
  const hash = sha256Hex(token);
  const s = redeemStatements(deps.db);
  return deps.db.transaction(
    (): RedeemResult => {
      const row = s.byHash.get({ hash });
      if (!row) return { ok: false, reason: "unknown enrollment token" };
      if (row.revokedAt) return { ok: false, reason: `enrollment token ${describeToken(row.id, row.label)} was revoked` };
      if (row.expiresAt && row.expiresAt.getTime() <= now.getTime()) return { ok: false, reason: `enrollment token ${describeToken(row.id, row.label)} has expired` };
      s.used.run({ id: row.id, now: now.getTime() });
      return { ok: true, label: row.label || `token #${row.id}` };
    },
    { behavior: "immediate" },
  );
}

/** Redeeming runs once per enrollment (an enrollment storm is thousands a minute): prepared once per database. */
const redeemStatementCache = new WeakMap<Db, ReturnType<typeof prepareRedeem>>();
function prepareRedeem(db: Db) {
  return {
    byHash: db
      .select()
      .from(enrollmentTokens)
      .where(eq(enrollmentTokens.tokenHash, sql.placeholder("hash")))
      .prepare(),
    used: db
      .update(enrollmentTokens)
      .set({ useCount: sql`${enrollmentTokens.useCount} + 1`, lastUsedAt: sql`${sql.placeholder("now")}` })
      .where(eq(enrollmentTokens.id, sql.placeholder("id")))
      .prepare(),
  };
}
function redeemStatements(db: Db) {
  let s = redeemStatementCache.get(db);
  if (!s) redeemStatementCache.set(db, (s = prepareRedeem(db)));
  return s;
}

/** Records that an enrollment profile (with a fresh device identity) was handed out. */
export function recordEnrollmentProfileIssued(
  deps: Pick<Deps, "db" | "clock">,
  details: { label: string; commonName: string; certificateSha256: string },
): void {
  insertEvent(deps.db, {
    at: deps.clock.now(),
    category: "device",
    type: "enrollment.profile_issued",
    actor: "system",
    message: `Enrollment profile issued with identity "${details.commonName}" (enrollment token "${details.label}")`,
    data: { tokenLabel: details.label, commonName: details.commonName, certificateSha256: details.certificateSha256 },
  });
}

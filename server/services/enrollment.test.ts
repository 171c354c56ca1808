import { createHash } from "node:crypto";

import { describe, expect, it } from "vitest";

import { DAY, HOUR } from "@/server/clock";
import { isAppError } from "@/server/errors";
import { createTestDeps, actingAs } from "@/server/testing";
import { auditLog, enrollmentTokens, events } from "@/db/schema";

import { createEnrollmentToken, listEnrollmentTokens, recordEnrollmentProfileIssued, redeemEnrollmentToken, revokeEnrollmentToken } from "./enrollment";

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

describe("enrollment tokens", () => {
  it("create → redeem → revoke → redeem refused", () => {
    const deps = createTestDeps();
    const created = createEnrollmentToken(deps, { label: "Office Macs" }, actingAs("alice@example.com"));
    expect(created.token).toMatch(/^enr_[A-Za-z0-9_-]{32}$/);
    expect(created.url).toBe(`${deps.publicUrl}/mdm/enroll?token=${created.token}`);

    expect(redeemEnrollmentToken(deps, created.token)).toEqual({ ok: true, label: "Office Macs" });
    deps.clock.advance(HOUR);
    expect(redeemEnrollmentToken(deps, created.token).ok).toBe(true);
    const [used] = listEnrollmentTokens(deps);
    expect(used).toMatchObject({ id: created.id, label: "Office Macs", useCount: 2, active: true, revokedAt: null });
    expect(used!.lastUsedAt).toEqual(deps.clock.now());

    const revoked = revokeEnrollmentToken(deps, { id: created.id }, actingAs("alice@example.com"));
    expect(revoked.revokedAt).toEqual(deps.clock.now());
    const refused = redeemEnrollmentToken(deps, created.token);
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.reason).toMatch(/revoked/);
    expect(listEnrollmentTokens(deps)[0]).toMatchObject({ active: false, useCount: 2 });
  });

  it("refuses unknown, empty and absurdly long tokens", () => {
    const deps = createTestDeps();
    createEnrollmentToken(deps, {}, actingAs("alice"));
    expect(redeemEnrollmentToken(deps, "enr_nope")).toEqual({ ok: false, reason: "unknown enrollment token" });
    expect(redeemEnrollmentToken(deps, "")).toEqual({ ok: false, reason: "missing enrollment token" });
    expect(redeemEnrollmentToken(deps, null)).toEqual({ ok: false, reason: "missing enrollment token" });
    expect(redeemEnrollmentToken(deps, "x".repeat(10_000)).ok).toBe(false);
  });

  it("an expired token is refused", () => {
    const deps = createTestDeps();
    const { token, id } = createEnrollmentToken(deps, { label: "short", expiresAt: new Date(deps.clock.now().getTime() + DAY) }, actingAs("alice"));
    deps.clock.advance(DAY - 1);
    expect(redeemEnrollmentToken(deps, token).ok).toBe(true);
    deps.clock.advance(1);
    const refused = redeemEnrollmentToken(deps, token);
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.reason).toMatch(/expired/);
    expect(listEnrollmentTokens(deps).find((t) => t.id === id)?.active).toBe(false);
  });

  it("refuses an expiry in the past", () => {
    const deps = createTestDeps();
    const attempt = () => createEnrollmentToken(deps, { expiresAt: new Date(deps.clock.now().getTime() - 1) }, actingAs("alice"));
    expect(attempt).toThrow(/future/);
  });

  it("accepts POMONA_ENROLL_TOKEN, and only it", () => {
    const deps = createTestDeps({ POMONA_ENROLL_TOKEN: "env-enroll-token-0123456789" });
    expect(redeemEnrollmentToken(deps, "env-enroll-token-0123456789")).toEqual({ ok: true, label: "POMONA_ENROLL_TOKEN" });
    expect(redeemEnrollmentToken(deps, "env-enroll-token-012345678").ok).toBe(false);
    expect(redeemEnrollmentToken(deps, "env-enroll-token-0123456789x").ok).toBe(false);
    expect(redeemEnrollmentToken(createTestDeps(), "env-enroll-token-0123456789").ok).toBe(false);
  });

  it("stores only the token's SHA-256 and never lists it", () => {
    const deps = createTestDeps();
    const { token } = createEnrollmentToken(deps, { label: "hash" }, actingAs("alice"));
    const rows = deps.db.select().from(enrollmentTokens).all();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.tokenHash).toBe(sha256(token));
    expect(JSON.stringify(rows)).not.toContain(token);
    const listed = JSON.stringify(listEnrollmentTokens(deps));
    expect(listed).not.toContain(token);
    expect(listed).not.toContain(sha256(token));
    expect(listed).not.toContain("tokenHash");
    expect(JSON.stringify(deps.db.select().from(events).all())).not.toContain(token);
    expect(JSON.stringify(deps.db.select().from(auditLog).all())).not.toContain(token);
  });

  it("audits every create and revoke, once each; a second revoke changes nothing and says so", () => {
    const deps = createTestDeps();
    const { id } = createEnrollmentToken(deps, { label: "Lab" }, actingAs("alice@example.com"));
    const first = revokeEnrollmentToken(deps, { id }, actingAs("bob@example.com"));
    deps.clock.advance(HOUR);
    const again = revokeEnrollmentToken(deps, { id }, actingAs("bob@example.com"));
    expect(again.revokedAt).toEqual(first.revokedAt);

    const rows = deps.db.select().from(auditLog).all();
    expect(rows.map((e) => [e.action, e.actorName, e.targetId, e.changes])).toEqual([
      ["enrollment_token.created", "alice@example.com", String(id), { label: "Lab", expiresAt: null }],
      ["enrollment_token.revoked", "bob@example.com", String(id), { revokedAt: first.revokedAt.toISOString() }],
      ["enrollment_token.revoked", "bob@example.com", String(id), {}],
    ]);
    expect(rows[0]!.summary).toContain("Lab");
    expect(rows[2]!.summary).toContain("already revoked");
  });

  it("revoking a missing token is NOT_FOUND", () => {
    const deps = createTestDeps();
    let error: unknown;
    try {
      revokeEnrollmentToken(deps, { id: 999 }, actingAs("alice"));
    } catch (e) {
      error = e;
    }
    expect(isAppError(error) && error.code).toBe("NOT_FOUND");
    expect(deps.db.select().from(events).all()).toHaveLength(0);
  });

  it("records an issued profile as a device event", () => {
    const deps = createTestDeps();
    recordEnrollmentProfileIssued(deps, { label: "Lab", commonName: "Pomona device 0a1b2c3d", certificateSha256: "ab".repeat(32) });
    const [event] = deps.db.select().from(events).all();
    expect(event).toMatchObject({ category: "device", type: "enrollment.profile_issued", actor: "system" });
    expect(event!.message).toContain("Lab");
  });
});

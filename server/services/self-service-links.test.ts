import { createHmac } from "node:crypto";

import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";

import {
  getSelfServiceLink,
  getSelfServiceLinkSecret,
  SELF_SERVICE_SECRET_KEY,
  selfServiceSignature,
  selfServiceUrl,
  verifySelfServiceSignature,
} from "@/server/services/self-service-links";
import { createTestDeps } from "@/server/testing";
import { computers, settings } from "@/db/schema";

describe("self-service links", () => {
  it("creates the secret once: 32 random bytes in base64url, stored in settings", () => {
    const deps = createTestDeps();
    expect(deps.db.select().from(settings).where(eq(settings.key, SELF_SERVICE_SECRET_KEY)).get()).toBeUndefined();
    const first = getSelfServiceLinkSecret(deps);
    expect(first).toHaveLength(32);
    const row = deps.db.select().from(settings).where(eq(settings.key, SELF_SERVICE_SECRET_KEY)).get();
    expect(row?.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(getSelfServiceLinkSecret(deps).equals(first)).toBe(true);
    expect(getSelfServiceLinkSecret(createTestDeps()).equals(first)).toBe(false);
  });

  it("keeps a secret that is already stored (a concurrent creator's value wins)", () => {
    const deps = createTestDeps();
    const stored = Buffer.alloc(32, 7).toString("base64url");
    deps.db.insert(settings).values({ key: SELF_SERVICE_SECRET_KEY, value: stored, updatedAt: deps.clock.now() }).run();
    expect(getSelfServiceLinkSecret(deps).toString("base64url")).toBe(stored);
  });

  it("signs base64url(HMAC-SHA256(secret, 'self-service:' + id)) and verifies only the matching computer", () => {
    const deps = createTestDeps();
    const sig = selfServiceSignature(deps, 12);
    expect(sig).toBe(createHmac("sha256", getSelfServiceLinkSecret(deps)).update("self-service:12").digest("base64url"));
    expect(verifySelfServiceSignature(deps, 12, sig)).toBe(true);
    expect(verifySelfServiceSignature(deps, 13, sig)).toBe(false);
    expect(verifySelfServiceSignature(deps, 12, sig.slice(0, -1))).toBe(false);
    expect(verifySelfServiceSignature(deps, 12, `${sig.slice(0, -1)}${sig.endsWith("A") ? "B" : "A"}`)).toBe(false);
    expect(verifySelfServiceSignature(deps, 12, "")).toBe(false);
    expect(verifySelfServiceSignature(deps, 12, "é".repeat(43))).toBe(false);
  });

  it("builds the URL on the public URL, and the admin link needs an existing computer", () => {
    const deps = createTestDeps({ POMONA_PUBLIC_URL: "https://pomona.example.com/" });
    expect(selfServiceUrl(deps, 5)).toBe(`https://pomona.example.com/self-service/5?sig=${selfServiceSignature(deps, 5)}`);
    const now = deps.clock.now();
    const { id } = deps.db.insert(computers).values({ udid: "U-1", name: "Lab", createdAt: now, updatedAt: now }).returning({ id: computers.id }).get();
    expect(getSelfServiceLink(deps, id).url).toBe(selfServiceUrl(deps, id));
    expect(() => getSelfServiceLink(deps, id + 1)).toThrow(/No computer/);
  });
});

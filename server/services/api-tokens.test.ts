import { TRPCError } from "@trpc/server";
import { afterEach, describe, expect, it } from "vitest";

import { createContext } from "@/server/trpc/context";
import { createCallerFactory } from "@/server/trpc/init";
import { appRouter } from "@/server/trpc/root";
import { createTestDeps, type TestDeps, actingAs } from "@/server/testing";
import { apiTokens, auditLog } from "@/db/schema";

import { createApiToken, listApiTokens, revokeApiToken } from "./api-tokens";

const globalDeps = globalThis as { __pomonaDeps?: unknown };
afterEach(() => delete globalDeps.__pomonaDeps);

function callerWith(deps: TestDeps, token: string) {
  globalDeps.__pomonaDeps = deps;
  return createCallerFactory(appRouter)(() => createContext({ req: new Request("http://x/api/trpc", { headers: { authorization: `Bearer ${token}` } }) }));
}
const codeOf = (p: Promise<unknown>) => p.then(() => "ok", (e: unknown) => (e instanceof TRPCError ? e.code : String(e)));

describe("API tokens", () => {
  it("are shown once, stored only as a hash, listed without their value, and audited", () => {
    const deps = createTestDeps();
    const created = createApiToken(deps, { label: "export script", role: "auditor" }, actingAs("admin@example.com"));
    expect(created.token).toMatch(/^pom_[A-Za-z0-9_-]{32}$/);
    const row = deps.db.select().from(apiTokens).get()!;
    expect(row.tokenHash).not.toContain(created.token);
    expect(JSON.stringify(listApiTokens(deps))).not.toContain(created.token);
    expect(listApiTokens(deps)).toMatchObject([{ label: "export script", role: "auditor", revokedAt: null }]);
    const audit = deps.db.select().from(auditLog).all();
    expect(audit.map((e) => [e.action, e.actorName, e.targetName])).toEqual([["api_token.created", "admin@example.com", "export script"]]);
    expect(JSON.stringify(audit)).not.toContain(created.token);
  });

  it("authenticate as Bearer with their role: admin works, auditor is refused admin actions, revoked is unauthorized", async () => {
    const deps = createTestDeps();
    const admin = createApiToken(deps, { label: "automation", role: "admin" }, actingAs("a"));
    const auditor = createApiToken(deps, { label: "reader", role: "auditor" }, actingAs("a"));
    expect(await codeOf(callerWith(deps, admin.token).catalog.list())).toBe("ok");
    expect(deps.db.select().from(apiTokens).all().find((t) => t.label === "automation")?.lastUsedAt).not.toBeNull();
    expect(await codeOf(callerWith(deps, auditor.token).system.updateSettings({ maxAttempts: 4 }))).toBe("FORBIDDEN");
    expect(await codeOf(callerWith(deps, auditor.token).catalog.list())).toBe("ok");
    revokeApiToken(deps, { id: admin.id }, actingAs("a"));
    expect(await codeOf(callerWith(deps, admin.token).catalog.list())).toBe("UNAUTHORIZED");
    expect(await codeOf(callerWith(deps, "pom_not-a-token").catalog.list())).toBe("UNAUTHORIZED");
    expect(() => revokeApiToken(deps, { id: 999 }, actingAs("a"))).toThrow(/No API token with id 999/);
    const first = deps.db.select().from(apiTokens).all().find((t) => t.id === admin.id)!.revokedAt;
    expect(revokeApiToken(deps, { id: admin.id }, actingAs("a")).revokedAt).toEqual(first); // twice: unchanged, audited as such
    const revokes = deps.db.select().from(auditLog).all().filter((e) => e.action === "api_token.revoked");
    expect(revokes.map((e) => e.changes)).toEqual([{ revokedAt: first!.toISOString() }, {}]);
  });
});

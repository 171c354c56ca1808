import { createHash } from "node:crypto";

import { describe, expect, it } from "vitest";

import { DAY } from "@/server/clock";
import { createContextInner } from "@/server/trpc/context";
import { TEST_ADMIN } from "@/server/trpc/test-caller";
import { createCallerFactory } from "@/server/trpc/init";
import { appRouter } from "@/server/trpc/root";
import { createTestDeps } from "@/server/testing";
import { auditLog } from "@/db/schema";

import { codeOf } from "../test-caller";

const createCaller = createCallerFactory(appRouter);


describe("enrollment router", () => {
  it("createToken returns the token once, with its enrollment URL", async () => {
    const deps = createTestDeps();
    const caller = createCaller(createContextInner({ deps, actor: TEST_ADMIN }));
    const expiresAt = new Date(deps.clock.now().getTime() + 7 * DAY).toISOString();
    const created = await caller.enrollment.createToken({ label: "Lab", expiresAt });
    expect(created.token).toMatch(/^enr_/);
    expect(created.url).toContain(`/mdm/enroll?token=${created.token}`);
    expect(created.url.startsWith(deps.publicUrl)).toBe(true);

    const [listed] = await caller.enrollment.listTokens();
    expect(listed).toMatchObject({ id: created.id, label: "Lab", useCount: 0, active: true, revokedAt: null });
    expect(listed!.expiresAt?.toISOString()).toBe(expiresAt);
    expect(deps.db.select().from(auditLog).all().map((e) => [e.action, e.actorName])).toEqual([["enrollment_token.created", "admin@example.com"]]);
  });

  it("listTokens never returns the token or its hash", async () => {
    const deps = createTestDeps();
    const caller = createCaller(createContextInner({ deps, actor: TEST_ADMIN }));
    const { token } = await caller.enrollment.createToken({});
    await caller.enrollment.createToken({ label: "second" });
    const list = await caller.enrollment.listTokens();
    expect(list).toHaveLength(2);
    const text = JSON.stringify(list);
    expect(text).not.toContain(token);
    expect(text).not.toContain(createHash("sha256").update(token).digest("hex"));
    for (const item of list) expect(Object.keys(item).sort()).toEqual(["active", "createdAt", "expiresAt", "id", "label", "lastUsedAt", "revokedAt", "useCount"]);
  });

  it("revokeToken revokes, and a missing id is NOT_FOUND", async () => {
    const deps = createTestDeps();
    const caller = createCaller(createContextInner({ deps, actor: { kind: "token", id: "t-ci", name: "token:ci", role: "admin" } }));
    const { id } = await caller.enrollment.createToken({ label: "temp" });
    await caller.enrollment.revokeToken({ id });
    expect((await caller.enrollment.listTokens())[0]).toMatchObject({ id, active: false });
    expect(deps.db.select().from(auditLog).all().at(-1)).toMatchObject({ action: "enrollment_token.revoked", actorName: "token:ci", actorKind: "token" });

    expect(await codeOf(caller.enrollment.revokeToken({ id: 9999 }))).toBe("NOT_FOUND");
    expect(await codeOf(caller.enrollment.revokeToken({ id: 0 }))).toBe("BAD_REQUEST");
  });

  it("validates input and roles", async () => {
    const deps = createTestDeps();
    const caller = createCaller(createContextInner({ deps, actor: TEST_ADMIN }));
    expect(await codeOf(caller.enrollment.createToken({ label: "x".repeat(201) }))).toBe("BAD_REQUEST");
    expect(await codeOf(caller.enrollment.createToken({ expiresAt: "next tuesday" }))).toBe("BAD_REQUEST");
    expect(await codeOf(caller.enrollment.createToken({ expiresAt: new Date(deps.clock.now().getTime() - DAY).toISOString() }))).toBe("BAD_REQUEST");
    const auditor = createCaller(createContextInner({ deps, actor: { kind: "token", id: "t-viewer", name: "token:viewer", role: "auditor" } }));
    expect(await codeOf(auditor.enrollment.createToken({}))).toBe("FORBIDDEN");
    expect(await codeOf(auditor.enrollment.listTokens())).toBe("no error"); // auditors read
    expect(await codeOf(createCaller(createContextInner({ deps })).enrollment.listTokens())).toBe("UNAUTHORIZED");
  });
});

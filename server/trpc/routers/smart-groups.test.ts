import { TRPCError } from "@trpc/server";
import { asc } from "drizzle-orm";
import { describe, expect, it } from "vitest";

import { createContextInner } from "@/server/trpc/context";
import { createCallerFactory } from "@/server/trpc/init";
import { appRouter } from "@/server/trpc/root";
import { createTestDeps, type TestDeps } from "@/server/testing";
import { auditLog, computers, events } from "@/db/schema";

import { smartGroupsRouter } from "./smart-groups";

const createCaller = createCallerFactory(appRouter);

async function errorOf(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (e) {
    return e instanceof TRPCError ? { code: e.code, message: e.message } : { code: `not a TRPCError: ${String(e)}`, message: "" };
  }
  return { code: "no error", message: "" };
}

function setup() {
  const deps = createTestDeps();
  const now = deps.clock.now();
  deps.db
    .insert(computers)
    .values(
      ["Lab-01", "Lab-02", "Office-01"].map((name, i) => ({ udid: `UDID-${i}`, name, serialNumber: `SN${i}`, osVersion: "14.5", architecture: "arm64" as const, lastCheckinAt: now, createdAt: now, updatedAt: now })),
    )
    .run();
  return { deps, caller: createCaller(createContextInner({ deps, actor: { kind: "token", id: "t-ci", name: "token:ci", role: "admin" } })) };
}

const lab = [{ field: "Computer Name", operator: "like", value: "lab" }];
const lastAudit = (deps: TestDeps) => deps.db.select().from(auditLog).orderBy(asc(auditLog.id)).all().at(-1);

describe("smartGroups router", () => {
  it("create, get and list", async () => {
    const { deps, caller } = setup();
    const { id } = await caller.smartGroups.create({ name: "Lab", description: "Lab Macs", criteria: lab });
    expect(lastAudit(deps)).toMatchObject({ action: "smart_group.created", actorKind: "token", actorName: "token:ci" });
    expect(await caller.smartGroups.get({ id })).toMatchObject({
      id,
      name: "Lab",
      description: "Lab Macs",
      memberCount: 2,
      usedBy: [],
      criteria: [{ joiner: "and", openParen: false, field: "Computer Name", operator: "like", value: "lab", closeParen: false }],
    });
    expect(await caller.smartGroups.list()).toEqual([{ id, name: "Lab", description: "Lab Macs", criteriaCount: 1, memberCount: 2, lastCalculatedAt: deps.clock.now() }]);
  });

  it("update, with the actor on the event", async () => {
    const { deps, caller } = setup();
    const { id } = await caller.smartGroups.create({ name: "Lab", criteria: lab });
    expect(await caller.smartGroups.update({ id, name: "Office", criteria: [{ field: "Computer Name", operator: "like", value: "office" }] })).toEqual({ id });
    expect(await caller.smartGroups.get({ id })).toMatchObject({ name: "Office", memberCount: 1 });
    expect(lastAudit(deps)).toMatchObject({ action: "smart_group.updated", actorName: "token:ci" });
  });

  it("delete, then get is NOT_FOUND", async () => {
    const { deps, caller } = setup();
    const { id } = await caller.smartGroups.create({ name: "Lab", criteria: lab });
    expect(await caller.smartGroups.delete({ id })).toEqual({ id });
    expect(lastAudit(deps)).toMatchObject({ action: "smart_group.deleted", actorName: "token:ci" });
    expect(await errorOf(caller.smartGroups.get({ id }))).toEqual({ code: "NOT_FOUND", message: `No smart group with id ${id}` });
  });

  it("preview is a query that writes nothing", async () => {
    const { deps, caller } = setup();
    expect(await caller.smartGroups.preview({ criteria: lab, sampleSize: 1 })).toMatchObject({ ok: true, count: 2, sample: [{ name: "Lab-01", osVersion: "14.5", architecture: "arm64" }] });
    expect(await caller.smartGroups.preview({ criteria: [{ field: "Model", operator: "has", value: "x" }] })).toEqual({
      ok: false,
      errors: [{ index: 0, message: 'Operator "has" does not apply to Model (use "is", "is not", "like", "not like" or "matches regex")' }],
    });
    expect(deps.db.select().from(events).all()).toEqual([]);
    expect(deps.db.select().from(auditLog).all()).toEqual([]);
    expect(smartGroupsRouter._def.procedures.preview._def.type).toBe("query");
  });

  it("members pages the stored members", async () => {
    const { caller } = setup();
    const { id } = await caller.smartGroups.create({ name: "Lab", criteria: lab });
    const page = await caller.smartGroups.members({ id, pageSize: 1, page: 2 });
    expect(page.total).toBe(2);
    expect(page.items.map((i) => i.name)).toEqual(["Lab-02"]);
    expect(await errorOf(caller.smartGroups.members({ id: 999 }))).toMatchObject({ code: "NOT_FOUND" });
  });

  it("BAD_REQUEST for invalid criteria (service) and for malformed input (zod)", async () => {
    const { caller } = setup();
    expect(await errorOf(caller.smartGroups.create({ name: "Bad", criteria: [{ field: "Colour", operator: "is", value: "red" }, { field: "Last Check-in", operator: "more than x days ago", value: "soon", joiner: "or" }] }))).toEqual({
      code: "BAD_REQUEST",
      message: 'Criterion 1: Unknown field "Colour"\nCriterion 2: "soon" is not a whole number of days',
    });
    const tooMany = Array.from({ length: 51 }, () => lab[0]!);
    expect(await errorOf(caller.smartGroups.create({ name: "Many", criteria: tooMany }))).toMatchObject({ code: "BAD_REQUEST" });
    expect(await errorOf(caller.smartGroups.create({ name: "Joiner", criteria: [{ ...lab[0]!, joiner: "xor" as "and" }] }))).toMatchObject({ code: "BAD_REQUEST" });
  });

  it("CONFLICT when deleting a group another group refers to", async () => {
    const { caller } = setup();
    const { id } = await caller.smartGroups.create({ name: "Lab", criteria: lab });
    await caller.smartGroups.create({ name: "Not lab", criteria: [{ field: "Computer Group", operator: "not member of", value: "Lab" }] });
    expect(await errorOf(caller.smartGroups.delete({ id }))).toEqual({ code: "CONFLICT", message: 'Smart group "Lab" cannot be deleted: it is used by smart group "Not lab"' });
  });

  it("auditors read and preview but cannot change; anonymous callers get nothing", async () => {
    const { deps } = setup();
    const auditor = createCaller(createContextInner({ deps, actor: { kind: "token", id: "t-ro", name: "token:ro", role: "auditor" } }));
    expect(await errorOf(auditor.smartGroups.list())).toMatchObject({ code: "no error" });
    expect(await errorOf(auditor.smartGroups.preview({ criteria: [] }))).toMatchObject({ code: "no error" });
    expect(await errorOf(auditor.smartGroups.create({ name: "X", criteria: [] }))).toMatchObject({ code: "FORBIDDEN" });
    const anonymous = createCaller(createContextInner({ deps }));
    expect(await errorOf(anonymous.smartGroups.list())).toMatchObject({ code: "UNAUTHORIZED" });
  });
});

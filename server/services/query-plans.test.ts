// Statements that run per Mac, per request or per pass slice must read through the computer's own index
// rows: without statistics SQLite picks an index by guesswork, and a wrong pick reads a whole deployment's
// commands (100k rows after a fleet-wide one) for one Mac. Plans, not timings: timings live in `npm run bench`.
import { describe, expect, it } from "vitest";

import { syncCatalog } from "@/server/services/catalog";
import { getComputerHistory } from "@/server/services/computers";
import { listDeploymentActivity } from "@/server/services/deployment-activity";
import { createDeployment, listDeploymentEvents } from "@/server/services/deployments";
import { createSmartGroup } from "@/server/services/smart-groups";
import { enqueueCommand } from "@/server/queue/queue";
import { actingAs, createTestDeps } from "@/server/testing";
import type { Db } from "@/db/client";
import { catalogTitles, computers } from "@/db/schema";

import { passStatements } from "./deployment-engine";
import { deviceStatements } from "./devices";
import { DUE_TARGETS_SQL, timeCriteriaSql } from "./engine-passes";
import { DIRTY_COMPUTERS_SQL } from "./engine-state";
import { smartGroupStatements } from "./smart-groups";

/**
 * The query plans of the statements matching `which` that SQLite prepared while `read` ran: the services build
 * some of their statements per call, so their plans are checked on the SQL they actually prepare.
 */
function plansOfStatementsPrepared(db: Db, which: RegExp, read: () => unknown): string[] {
  const client = db.$client;
  const prepared: string[] = [];
  const prepare = client.prepare.bind(client);
  client.prepare = (source: string) => {
    prepared.push(source);
    return prepare(source);
  };
  try {
    read();
  } finally {
    delete (client as { prepare?: unknown }).prepare; // the prototype's again
  }
  return prepared
    .filter((source) => which.test(source))
    .map((source) => (prepare(`explain query plan ${source}`).all(...Array.from(source.matchAll(/\?/g), () => 1)) as { detail: string }[]).map((r) => r.detail).join("\n"));
}

describe("query plans of per-Mac statements", () => {
  it("cancelling one Mac's unsent commands of a deployment searches that Mac's open commands", () => {
    const deps = createTestDeps();
    const sql = passStatements(deps.db).cancelUnsent.source;
    const plan = (deps.db.$client.prepare(`explain query plan ${sql}`).all({ deploymentId: 1, computerId: 1, now: 0 }) as { detail: string }[]).map((r) => r.detail).join("\n");
    expect(plan).toContain("commands_next_idx (computer_id=? AND status=?)");
    expect(plan).not.toContain("commands_deployment_idx");
  });

  it("scheduled inventory walks the index of when each Mac was last checked, and finds open requests by that Mac's commands", () => {
    const deps = createTestDeps();
    const sql = deviceStatements(deps.db).inventoryCandidates.source;
    const plan = (deps.db.$client.prepare(`explain query plan ${sql}`).all(0, 500) as { detail: string }[]).map((r) => r.detail).join("\n");
    expect(plan).toContain("SEARCH computers USING INDEX computers_inventory_checked_idx (<expr><?)");
    expect(plan).not.toContain("TEMP B-TREE"); // ordered by the index itself, so LIMIT stops the walk
    expect(plan).toContain("commands_next_idx (computer_id=?");
  });

  // Migration 0009: commands_idempotency_unique is partial (`… is not null`, engine commands have no key) and
  // commands_computer_uuid_unique is gone (the uuid is the primary key); each added a leaf per command queued.
  it("a keyed enqueue finds an earlier command with that key through the partial index, and a Mac's command history reads its own index rows", () => {
    const deps = createTestDeps();
    const computerId = deps.db.insert(computers).values({ udid: "U1", name: "Mac", createdAt: deps.clock.now(), updatedAt: deps.clock.now() }).returning().get().id;
    const command = { RequestType: "DeviceInformation" as const, Queries: ["OSVersion"] };
    let first = "";
    const byKey = plansOfStatementsPrepared(deps.db, /^select .* from "commands" .*"idempotency_key" = \?/, () => {
      first = enqueueCommand(deps.db, { computerId, command, purpose: "admin", idempotencyKey: "k1" }, deps.clock.now()).uuid;
      expect(enqueueCommand(deps.db, { computerId, command, purpose: "admin", idempotencyKey: "k1" }, deps.clock.now()).uuid).toBe(first);
    });
    expect(byKey).toHaveLength(2);
    for (const plan of byKey) expect(plan).toContain("SEARCH commands USING INDEX commands_idempotency_unique (idempotency_key=?)");

    expect(plansOfStatementsPrepared(deps.db, /^select .* from "commands" .*"computer_id" = \?/, () => getComputerHistory(deps, { id: computerId }))).toEqual([
      expect.stringContaining("SEARCH commands USING INDEX commands_next_idx (computer_id=?)"),
    ]);
  });

  it("Authenticate finds another Mac holding the same certificate through the certificate's index", () => {
    const deps = createTestDeps();
    const { sql } = deviceStatements(deps.db).byCertificate.getQuery();
    const plan = (deps.db.$client.prepare(`explain query plan ${sql}`).all("ab", "U") as { detail: string }[]).map((r) => r.detail).join("\n");
    expect(plan).toContain("SEARCH computers USING INDEX computers_identity_cert_idx (identity_cert_sha256=?)");
  });

  it("an InstalledApplicationList answer limited to some bundle ids reads only their rows, through the computer's apps index", () => {
    const deps = createTestDeps();
    const { source } = deviceStatements(deps.db).appsOfBundles;
    const plan = (deps.db.$client.prepare(`explain query plan ${source}`).all(1, '["a"]') as { detail: string }[]).map((r) => r.detail).join("\n");
    expect(plan).toContain("SEARCH installed_apps USING INDEX installed_apps_computer_idx (computer_id=? AND bundle_id=?)");
  });

  it("PUT /mdm asks whether a certificate is a bound identity through the certificate's index, without reading the row", () => {
    const deps = createTestDeps();
    const { source } = deviceStatements(deps.db).boundCertificate;
    const plan = (deps.db.$client.prepare(`explain query plan ${source}`).all("ab") as { detail: string }[]).map((r) => r.detail).join("\n");
    expect(plan).toContain("SEARCH computers USING COVERING INDEX computers_identity_cert_idx (identity_cert_sha256=?)");
  });
});

describe("query plans of the histories", () => {
  // events_computer_idx and events_deployment_idx are partial (`… is not null`): an enrollment's events with
  // no deployment, or no computer yet, are in neither. The histories compare with `=`, which implies not
  // null, so SQLite still searches by them: checked on the statements the services themselves prepare.
  it("a computer's history and an App Installer's events and activity are searched through the partial indexes", async () => {
    const deps = createTestDeps();
    await syncCatalog(deps);
    const titleId = deps.db.select({ id: catalogTitles.id }).from(catalogTitles).limit(1).get()!.id;
    const group = createSmartGroup(deps, { name: "Nobody", criteria: [{ field: "Computer Name", operator: "is", value: "no such Mac" }] }, actingAs("a"));
    const { id: deploymentId } = await createDeployment(deps, { name: "Firefox", titleId, smartGroupId: group.id, distributionMethod: "self_service", updateMethod: "automatic" }, actingAs("a"));
    const computerId = deps.db.insert(computers).values({ udid: "U1", name: "Mac", createdAt: deps.clock.now(), updatedAt: deps.clock.now() }).returning().get().id;

    const plansOfEventReads = (read: () => unknown) => plansOfStatementsPrepared(deps.db, /from "events"/, read);

    expect(plansOfEventReads(() => getComputerHistory(deps, { id: computerId }))).toEqual([expect.stringContaining("SEARCH events USING INDEX events_computer_idx (computer_id=?)")]);
    expect(plansOfEventReads(() => listDeploymentEvents(deps, { id: deploymentId }))).toEqual([expect.stringContaining("SEARCH events USING INDEX events_deployment_idx (deployment_id=?)")]);
    expect(plansOfEventReads(() => listDeploymentActivity(deps, { id: deploymentId }))).toEqual([expect.stringContaining("SEARCH events USING INDEX events_deployment_idx (deployment_id=?)")]);
  });

  it("deleting a computer finds its events (ON DELETE SET NULL) through the partial index, not a scan of every event", () => {
    const deps = createTestDeps();
    const c = deps.db.$client;
    const roots = new Map((c.prepare("select name, rootpage from sqlite_schema where tbl_name = 'events'").all() as { name: string; rootpage: number }[]).map((r) => [r.rootpage, r.name]));
    const opened = (c.prepare("explain delete from computers where id = 1").all() as { opcode: string; p2: number }[])
      .filter((op) => op.opcode === "OpenRead" && roots.has(op.p2))
      .map((op) => roots.get(op.p2));
    expect(opened).toContain("events_computer_idx");
  });
});

describe("query plans of a computer's smart groups", () => {
  it("a computer's stored groups are read from a covering index, with or without a list of groups", () => {
    const deps = createTestDeps();
    const { membersOf, membersOfIn } = smartGroupStatements(deps.db);
    for (const statement of [membersOf, membersOfIn]) {
      const parameters = statement.source.split("json_each(?)").length - 1;
      const plan = (deps.db.$client.prepare(`explain query plan ${statement.source}`).all(...Array.from({ length: parameters }, () => "[1]")) as { detail: string }[])
        .map((r) => r.detail)
        .join("\n");
      expect(plan).toContain("USING COVERING INDEX smart_group_members_computer_group_idx (computer_id=?");
    }
  });
});

describe("query plans of the scheduler's per-tick statements", () => {
  const planOf = (sql: string, ...params: number[]) => {
    const deps = createTestDeps();
    return (deps.db.$client.prepare(`explain query plan ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail).join("\n");
  };

  it("the marked computers come from the partial index, not a scan of every computer", () => {
    const plan = planOf(DIRTY_COMPUTERS_SQL);
    expect(plan).toContain("computers_engine_dirty_idx (engine_dirty>?)");
    expect(plan).not.toMatch(/SCAN computers/);
  });

  it("the computers with a target due come from the due index, not a walk of every target", () => {
    const plan = planOf(DUE_TARGETS_SQL, 0);
    expect(plan).toContain("deployment_targets_due_idx (due_at<?)");
    expect(plan).not.toMatch(/SCAN deployment_targets/);
  });

  it("every \"Last Inventory Update\" range is a search of its index, all of them in one statement", () => {
    const plan = planOf(timeCriteriaSql("Last Inventory Update", 3), 0, 1, 2, 3, 4, 5);
    expect(plan).toContain("MULTI-INDEX OR");
    expect(plan.match(/computers_last_inventory_idx/g)).toHaveLength(3);
    expect(plan).not.toMatch(/SCAN computers/);
  });
});


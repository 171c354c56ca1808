// Statements that run per Mac, per request or per pass slice must read through the computer's own index
// rows: without statistics SQLite picks an index by guesswork, and a wrong pick reads a whole deployment's
// commands (100k rows after a fleet-wide one) for one Mac. Plans, not timings: timings live in `npm run bench`.
import { describe, expect, it } from "vitest";

import { createTestDeps } from "@/server/testing";

import { passStatements } from "./deployment-engine";
import { deviceStatements } from "./devices";

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
});

// Inventory on its own interval (DESIGN §3.4 item 4): due Macs, the stalest first, a bounded batch per tick.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";

import { HOUR } from "@/server/clock";
import { createTestDeps } from "@/server/testing";
import { commands, computers } from "@/db/schema";

import { queueDueInventory } from "./devices";

describe("queueDueInventory", () => {
  it("asks the stalest due Macs first, at most a batch per call, and never twice while a request is open", () => {
    const deps = createTestDeps();
    const now = deps.clock.now();
    const ago = (hours: number | null) => (hours === null ? null : new Date(now.getTime() - hours * HOUR));
    const ages: (number | null)[] = [30, null, 2, 50, 26, 40]; // hours since the last full inventory
    const ids = ages.map(
      (age, i) =>
        deps.db
          .insert(computers)
          .values({ udid: `INV-${i}`, enrolled: true, lastInventoryAt: ago(age), createdAt: now, updatedAt: now })
          .returning({ id: computers.id })
          .get().id,
    );
    const first = queueDueInventory(deps, 24 * HOUR, 3);
    expect(first).toEqual([ids[1], ids[3], ids[5]]); // never inventoried, then 50 h and 40 h
    expect(queueDueInventory(deps, 24 * HOUR, 3)).toEqual([ids[0], ids[4]]); // the 2 h Mac is not due
    expect(queueDueInventory(deps, 24 * HOUR, 3)).toEqual([]); // every due Mac has a request open
    const queued = deps.db.select({ computerId: commands.computerId, requestType: commands.requestType }).from(commands).all();
    expect(queued).toHaveLength(10);
    expect(queued.filter((c) => c.computerId === ids[2])).toEqual([]);
    expect(deps.db.select().from(commands).where(eq(commands.computerId, ids[1]!)).all().map((c) => c.requestType).sort()).toEqual(["DeviceInformation", "InstalledApplicationList"]);
  });
});

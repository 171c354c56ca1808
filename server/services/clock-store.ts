// Keeps the simulated clock's anchor in the database (DESIGN §1: every part reads the same time).
import { eq } from "drizzle-orm";

import type { ClockAnchor, ClockStore } from "@/server/clock";
import type { Db } from "@/db/client";
import { clockState } from "@/db/schema";

export function createDbClockStore(db: Db): ClockStore {
  return {
    load() {
      const row = db.select().from(clockState).where(eq(clockState.id, 1)).get();
      return row ? { simulatedMs: row.simulatedMs, realMs: row.realMs, scale: row.scale } : undefined;
    },
    save(anchor: ClockAnchor) {
      const values = { id: 1, simulatedMs: Math.floor(anchor.simulatedMs), realMs: Math.floor(anchor.realMs), scale: anchor.scale };
      db.insert(clockState).values(values).onConflictDoUpdate({ target: clockState.id, set: values }).run();
    },
  };
}

// One scheduler tick (STYLE §3.6): the single function production's timer, system.tick and tests all call.
import type { Deps } from "@/server/deps";
import { runScheduledPass } from "@/server/services/engine-passes";
import { queueDueInventory } from "@/server/services/devices";
import { pushComputers } from "@/server/services/push";
import { getSettings } from "@/server/services/settings";

export type TickResult = {
  now: Date;
  targetsCreated: number;
  targetsRemoved: number;
  statusChanges: number;
  commandsQueued: number;
  inventoryQueued: number;
  pushed: number;
};

/**
 * Runs every pass once at the clock's current time: the engine's incremental pass (smart groups of the
 * computers whose facts changed, then scope, conflicts, compatibility, dispatch, installs, confirmation and
 * retries for them and for targets that are due), then inventory on its own interval, waking the Macs that
 * have new work.
 */
export async function runSchedulerTick(deps: Deps): Promise<TickResult> {
  const now = deps.clock.now();
  const pass = await runScheduledPass(deps);
  const inventory = queueDueInventory(deps, getSettings(deps).inventoryIntervalMs);
  const inventoryPush = inventory.length > 0 ? await pushComputers(deps, inventory) : { sent: 0 };
  return {
    now,
    targetsCreated: pass.targetsCreated,
    targetsRemoved: pass.targetsRemoved,
    statusChanges: pass.statusChanges,
    commandsQueued: pass.commandsQueued,
    inventoryQueued: inventory.length,
    pushed: pass.pushed + inventoryPush.sent,
  };
}

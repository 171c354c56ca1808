// System-level use cases: clock state and moving the simulated clock.
import type { Principal } from "@/server/auth/actor";
import { isSimulatedClock } from "@/server/clock";
import type { Deps } from "@/server/deps";
import { AppError } from "@/server/errors";
import { runSchedulerTick } from "@/server/scheduler/tick";
import { recordAdminAction } from "@/server/services/audit";

export function describeClock(deps: Pick<Deps, "clock">) {
  const clock = deps.clock;
  return { now: clock.now(), simulated: isSimulatedClock(clock), timeScale: isSimulatedClock(clock) ? clock.scale : 1 };
}

/** Moves the simulated clock forward and runs one scheduler tick (DESIGN §4.2 `system.tick`). */
export async function tickSimulatedClock(deps: Deps, advanceMs: number, by: Principal) {
  const clock = deps.clock;
  if (!isSimulatedClock(clock)) throw new AppError("PRECONDITION_FAILED", "system.tick needs the simulated clock: start Pomona with POMONA_CLOCK=simulated");
  deps.db.transaction(
    (tx) => {
      const from = clock.now();
      clock.advance(advanceMs);
      recordAdminAction(tx, clock.now(), by, {
        action: "clock.advanced",
        target: { type: "clock" },
        summary: `Simulated clock advanced by ${advanceMs} ms`,
        changes: { from: from.toISOString(), to: clock.now().toISOString() },
      });
    },
    { behavior: "immediate" },
  );
  return runSchedulerTick(deps);
}

// System-level use cases: clock state and moving the simulated clock.
import { isSimulatedClock } from "@/server/clock";
import type { Deps } from "@/server/deps";
import { AppError } from "@/server/errors";
import { runSchedulerTick } from "@/server/scheduler/tick";

export function describeClock(deps: Pick<Deps, "clock">) {
  const clock = deps.clock;
  return { now: clock.now(), simulated: isSimulatedClock(clock), timeScale: isSimulatedClock(clock) ? clock.scale : 1 };
}

/** Moves the simulated clock forward and runs one scheduler tick (DESIGN §4.2 `system.tick`). */
export async function tickSimulatedClock(deps: Deps, advanceMs: number) {
  if (!isSimulatedClock(deps.clock)) throw new AppError("PRECONDITION_FAILED", "system.tick needs the simulated clock: start Pomona with POMONA_CLOCK=simulated");
  deps.clock.advance(advanceMs);
  return runSchedulerTick(deps);
}

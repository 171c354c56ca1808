// The one production driver of the scheduler (STYLE §3.6): a timer that calls runSchedulerTick.
import type { Deps } from "@/server/deps";

import { runSchedulerTick } from "./tick";

/** Ticks every `intervalMs` of real time; a tick that fails is logged and the next one still runs. */
export function startScheduler(deps: Deps, intervalMs = 1000): { stop(): void } {
  let running = false;
  const timer = setInterval(() => {
    if (running) return; // a slow tick is never overlapped by the next one
    running = true;
    runSchedulerTick(deps)
      .catch((e: unknown) => deps.log.error("scheduler tick failed", { error: e, cause: (e as Error).cause }))
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

// When a virtual Mac is reachable: rotating offline windows (lids closed, Wi-Fi off) and a long "holiday".
// Everything is a pure function of the seed, the device and the time, so a run can be replayed.
import { deriveSeed } from "./random";

export type Availability = {
  isOffline(nowMs: number): boolean;
  /** The first instant at or after `nowMs` when the Mac is online (Infinity if never). */
  nextOnlineAt(nowMs: number): number;
};

export const ALWAYS_ONLINE: Availability = { isOffline: () => false, nextOnlineAt: (now) => now };

export type OfflineScheduleOptions = {
  seed: number;
  /** What makes this device's windows its own (its index or UDID). */
  key: string | number;
  /** Time zero of the schedule (the fleet's start). */
  startMs: number;
  /** Chance of being offline in any one window. */
  offlineRate: number;
  windowMs: number;
  /** A long absence: offline from `fromMs` until `untilMs`. */
  holiday?: { fromMs: number; untilMs: number };
};

/** Scanning further than this many windows for an online one means "never" (offlineRate close to 1). */
const MAX_WINDOWS_SCANNED = 10_000;

export function createOfflineSchedule(options: OfflineScheduleOptions): Availability {
  const { seed, key, startMs, offlineRate, windowMs, holiday } = options;
  // Each device's windows start at its own phase, so the fleet does not flip all at once.
  const phase = (deriveSeed(seed, "offline-phase", key) / 2 ** 32) * windowMs;
  const windowOf = (now: number) => Math.floor((now - startMs + phase) / windowMs);
  const windowOffline = (w: number) => offlineRate > 0 && deriveSeed(seed, "offline-window", key, w) / 2 ** 32 < offlineRate;
  const onHoliday = (now: number) => holiday !== undefined && now >= holiday.fromMs && now < holiday.untilMs;

  return {
    isOffline: (now) => onHoliday(now) || windowOffline(windowOf(now)),
    nextOnlineAt(now) {
      let t = now;
      for (let i = 0; i < MAX_WINDOWS_SCANNED; i++) {
        if (holiday && onHoliday(t)) t = holiday.untilMs;
        const w = windowOf(t);
        if (!windowOffline(w)) return t;
        // Jump to the start of the next window.
        t = startMs - phase + (w + 1) * windowMs;
      }
      return Infinity;
    },
  };
}

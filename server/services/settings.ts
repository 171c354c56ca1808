// The durations of DESIGN §3.4, stored as settings with DESIGN's defaults.
import { z } from "zod";

import { DAY, HOUR, MINUTE } from "@/server/clock";
import type { Principal } from "@/server/auth/actor";
import type { Deps } from "@/server/deps";
import { recordAdminAction } from "@/server/services/audit";
import { changeStamp } from "@/server/services/change-stamps";
import { requestFullPass } from "@/server/services/engine-state";
import { settings } from "@/db/schema";

export const ZSettings = z.object({
  /** An in-progress target gets its InstalledApplicationList within this window (15 minutes). */
  dispatchWindowMs: z.number().int().min(MINUTE).max(DAY),
  /** Install attempts before a target is Failed (3). */
  maxAttempts: z.number().int().min(1).max(10),
  /** Time between attempts, and how long an unconfirmed attempt may stay in flight (6 hours). */
  retryIntervalMs: z.number().int().min(MINUTE).max(30 * DAY),
  /** How often each Mac's inventory (DeviceInformation + InstalledApplicationList) is refreshed (1 day). */
  inventoryIntervalMs: z.number().int().min(15 * MINUTE).max(30 * DAY),
  /** Delay before the confirming InstalledApplicationList after an acknowledged install, and between repeats (5 minutes). */
  confirmationDelayMs: z.number().int().min(10_000).max(DAY),
});
export type Settings = z.infer<typeof ZSettings>;
export const ZSettingsUpdate = ZSettings.partial();
export type TSettingsUpdate = z.infer<typeof ZSettingsUpdate>;

export const DEFAULT_SETTINGS: Settings = {
  dispatchWindowMs: 15 * MINUTE,
  maxAttempts: 3,
  retryIntervalMs: 6 * HOUR,
  inventoryIntervalMs: DAY,
  confirmationDelayMs: 5 * MINUTE,
};

/** Read by every verifying answer's slice: prepared once per database (built per call, it was 3 % of the 100k drain). */
const readAll = new WeakMap<Deps["db"], ReturnType<typeof prepareRead>>();
const prepareRead = (db: Deps["db"]) => db.select().from(settings).prepare();
function settingsStatement(db: Deps["db"]) {
  let statement = readAll.get(db);
  if (!statement) readAll.set(db, (statement = prepareRead(db)));
  return statement;
}

/** The last settings read from each database, and the settings' change stamp they were read at. */
const current = new WeakMap<Deps["db"], { stamp: number; settings: Readonly<Settings> }>();

/**
 * The current settings: stored values over DESIGN's defaults (a stored value that no longer validates is
 * ignored). Read again only when a settings row was written since (change-stamps.ts): every verifying
 * answer asks, and reading and validating them each time was ~0.7 % of the 100k drain's main thread.
 * Frozen, since callers share one object.
 */
export function getSettings(deps: Pick<Deps, "db">): Readonly<Settings> {
  const stamp = changeStamp(deps.db, "settings");
  const known = current.get(deps.db);
  if (known?.stamp === stamp) return known.settings;
  const stored: Record<string, unknown> = {};
  for (const row of settingsStatement(deps.db).all()) stored[row.key] = row.value;
  const merged = { ...DEFAULT_SETTINGS };
  for (const key of Object.keys(DEFAULT_SETTINGS) as (keyof Settings)[]) {
    const parsed = ZSettings.shape[key].safeParse(stored[key]);
    if (parsed.success) merged[key] = parsed.data;
  }
  const settings = Object.freeze(merged);
  current.set(deps.db, { stamp, settings });
  return settings;
}

/** Writes the given settings and one audit event, in one transaction. */
export function updateSettings(deps: Pick<Deps, "db" | "clock">, update: TSettingsUpdate, by: Principal): Settings {
  const now = deps.clock.now();
  const before = getSettings(deps);
  const changed = Object.fromEntries(Object.entries(update).filter(([k, v]) => v !== undefined && before[k as keyof Settings] !== v));
  deps.db.transaction(
    (tx) => {
      for (const [key, value] of Object.entries(changed)) {
        tx.insert(settings).values({ key, value, updatedAt: now }).onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: now } }).run();
      }
      const names = Object.keys(changed);
      // Attempts, retry interval and confirmation delay shape every target's next step and due time.
      if (names.length > 0) requestFullPass(deps.db);
      recordAdminAction(tx, now, by, {
        action: "settings.updated",
        target: { type: "settings" },
        summary: names.length > 0 ? `Settings changed: ${names.join(", ")}` : "Settings saved with no change",
        changes: Object.fromEntries(names.map((k) => [k, { from: before[k as keyof Settings], to: changed[k] }])),
      });
    },
    { behavior: "immediate" },
  );
  return getSettings(deps);
}

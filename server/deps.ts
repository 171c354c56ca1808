// The composition root (nanomdm's cmd/ role): builds the one `deps` object every part of Pomona shares.
// It lives on globalThis because Next.js bundles its own copy of server/ modules beside the copy the custom
// server loads (DESIGN §1): a module-level singleton would silently split in two.
import { createSimulatedClock, systemClock, type Clock } from "@/server/clock";
import { env as processEnv, publicUrl, type Env } from "@/server/env.js";
import { createConsoleLogger, type Logger } from "@/server/log";
import { createDbClockStore } from "@/server/services/clock-store";
import { createDb, type Db } from "@/db/client";
import { migrateDb } from "@/db/migrate";

export type Deps = {
  env: Env;
  /** The URL Macs reach Pomona at: ServerURL, CheckInURL and every ManifestURL start with it. */
  publicUrl: string;
  db: Db;
  clock: Clock;
  log: Logger;
};

export type CreateDepsOptions = { env: Env; db?: Db; clock?: Clock; log?: Logger };

/** Builds deps: opens and migrates the database, then picks the clock the environment asks for. */
export function createDeps(options: CreateDepsOptions): Deps {
  const { env } = options;
  const db = options.db ?? createDb(env.POMONA_DB);
  migrateDb(db);
  const clock =
    options.clock ??
    (env.POMONA_CLOCK === "simulated" ? createSimulatedClock({ scale: env.POMONA_TIME_SCALE ?? 0, store: createDbClockStore(db) }) : systemClock);
  return { env, publicUrl: publicUrl(env), db, clock, log: options.log ?? createConsoleLogger() };
}

const globalForDeps = globalThis as unknown as { __pomonaDeps?: Deps };

/** The process-wide deps, created on first use from the process environment. */
export function getDeps(): Deps {
  globalForDeps.__pomonaDeps ??= createDeps({ env: processEnv });
  return globalForDeps.__pomonaDeps;
}

/** Installs deps built elsewhere (the start script builds them first, before Next loads). */
export function setDeps(deps: Deps) {
  globalForDeps.__pomonaDeps = deps;
}

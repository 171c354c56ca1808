// The composition root (nanomdm's cmd/ role): builds the one `deps` object every part of Pomona shares.
// It lives on globalThis because Next.js bundles its own copy of server/ modules beside the copy the custom
// server loads (DESIGN §1): a module-level singleton would silently split in two.
import { eq } from "drizzle-orm";

import { createSimulatedClock, systemClock, type Clock } from "@/server/clock";
import { env as processEnv, publicUrl, type Env } from "@/server/env.js";
import { createConsoleLogger, type Logger } from "@/server/log";
import { createApnsProvider } from "@/server/push/apns";
import { createLocalPushProvider } from "@/server/push/local";
import type { PushProvider } from "@/server/push/provider";
import { createDbClockStore } from "@/server/services/clock-store";
import { createDb, type Db } from "@/db/client";
import { migrateDb } from "@/db/migrate";
import { credentials } from "@/db/schema";

export type Deps = {
  env: Env;
  /** The URL Macs reach Pomona at: ServerURL, CheckInURL and every ManifestURL start with it. */
  publicUrl: string;
  db: Db;
  clock: Clock;
  log: Logger;
  /** Wakes Macs: APNs when a push certificate is installed, else the local provider (virtual fleet, tests). */
  push: PushProvider;
};

export type CreateDepsOptions = { env: Env; db?: Db; clock?: Clock; log?: Logger; push?: PushProvider };

function selectPushProvider(db: Db, log: Logger): PushProvider {
  const apns = db.select().from(credentials).where(eq(credentials.name, "apns_push")).get();
  if (!apns) return createLocalPushProvider({ log });
  log.info("push: APNs", { topic: apns.topic ?? undefined });
  return createApnsProvider({ certificatePem: apns.certificatePem, privateKeyPem: apns.privateKeyPem, log });
}

/** Builds deps: opens and migrates the database, then picks the clock the environment asks for. */
export function createDeps(options: CreateDepsOptions): Deps {
  const { env } = options;
  const db = options.db ?? createDb(env.POMONA_DB);
  migrateDb(db);
  const clock =
    options.clock ??
    (env.POMONA_CLOCK === "simulated" ? createSimulatedClock({ scale: env.POMONA_TIME_SCALE ?? 0, store: createDbClockStore(db) }) : systemClock);
  const log = options.log ?? createConsoleLogger();
  return { env, publicUrl: publicUrl(env), db, clock, log, push: options.push ?? selectPushProvider(db, log) };
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

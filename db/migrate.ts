// Applies the committed drizzle-kit migrations (db/migrations) at startup and in test setup.
import path from "node:path";

import { migrate } from "drizzle-orm/better-sqlite3/migrator";

import type { Db } from "./client";

// Resolved from the working directory (the repository root for npm scripts, tests and the server) rather
// than import.meta.url, which points into .next/ when Next.js bundles this module.
export const MIGRATIONS_FOLDER = path.join(process.cwd(), "db", "migrations");

export function migrateDb(db: Db) {
  migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
}

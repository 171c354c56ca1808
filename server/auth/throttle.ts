// Sign-in throttling per account (ASVS V6.3.1): after 5 failed sign-ins within 15 minutes the email is
// refused for 15 minutes, right password or not (a refused attempt checks no password and counts nothing).
// Kept in SQLite so a restart does not hand an attacker fresh attempts. better-auth's per-IP rate limit
// (server/auth/auth.ts) sits in front of this and covers guessing across many accounts.
import { eq } from "drizzle-orm";

import { MINUTE, type Clock } from "@/server/clock";
import type { Db } from "@/db/client";
import { loginFailures } from "@/db/schema";

export const MAX_FAILURES = 5;
export const FAILURE_WINDOW_MS = 15 * MINUTE;
export const LOCK_MS = 15 * MINUTE;

const key = (email: string) => email.trim().toLowerCase();

/** When the email may try again, or undefined if it may now. */
export function lockedUntil(db: Db, clock: Clock, email: string): Date | undefined {
  const row = db.select().from(loginFailures).where(eq(loginFailures.email, key(email))).get();
  return row?.lockedUntil && row.lockedUntil > clock.now() ? row.lockedUntil : undefined;
}

export function recordFailure(db: Db, clock: Clock, email: string): void {
  const now = clock.now();
  db.transaction(
    (tx) => {
      const row = tx.select().from(loginFailures).where(eq(loginFailures.email, key(email))).get();
      const fresh = !row || now.getTime() - row.firstFailedAt.getTime() > FAILURE_WINDOW_MS;
      const failures = fresh ? 1 : row.failures + 1;
      const firstFailedAt = fresh ? now : row.firstFailedAt;
      const lock = failures >= MAX_FAILURES ? new Date(now.getTime() + LOCK_MS) : null;
      tx.insert(loginFailures)
        .values({ email: key(email), failures, firstFailedAt, lockedUntil: lock })
        .onConflictDoUpdate({ target: loginFailures.email, set: { failures, firstFailedAt, lockedUntil: lock } })
        .run();
    },
    { behavior: "immediate" },
  );
}

export function clearFailures(db: Db, email: string): void {
  db.delete(loginFailures).where(eq(loginFailures.email, key(email))).run();
}

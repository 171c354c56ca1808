// Retry arithmetic (DESIGN §3.4 item 5): at most `maxAttempts` attempts, `retryIntervalMs` apart.

export type RetrySettings = { maxAttempts: number; retryIntervalMs: number };

/** When the next attempt may start, counted from when the failed attempt was sent. */
export function nextAttemptAt(sentAt: Date, settings: RetrySettings): Date {
  return new Date(sentAt.getTime() + settings.retryIntervalMs);
}

/** Whether an attempt sent at `sentAt` and still unconfirmed has run out of time. */
export function isAttemptExpired(sentAt: Date, now: Date, settings: RetrySettings): boolean {
  return now.getTime() >= sentAt.getTime() + settings.retryIntervalMs;
}

export function hasAttemptsLeft(attempts: number, settings: RetrySettings): boolean {
  return attempts < settings.maxAttempts;
}

export function isDue(at: Date | null, now: Date): boolean {
  return at === null || at.getTime() <= now.getTime();
}

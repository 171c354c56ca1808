// Waking Macs: picks the computers that can be pushed, pushes them, and retires tokens APNs says are dead.
import { and, eq, isNull } from "drizzle-orm";

import type { Db } from "@/db/client";
import type { Deps } from "@/server/deps";
import { yieldToRequests } from "@/server/event-loop";
import type { PushOutcome, PushProvider, PushTarget } from "@/server/push/provider";
import { computers, events } from "@/db/schema";

export type PushComputersResult = { sent: number; failed: number; skipped: number };

// Reads a fleet-wide push in parts, with requests served between them.
const ID_CHUNK = 5000;
// The answers that mean this token will never work again (mdm-protocol.md §4): wait for the next TokenUpdate.
// 403s are about the certificate, not the Mac, so they do not retire the token.
const DEAD_TOKEN_REASONS = new Set(["Unregistered", "ExpiredToken", "BadDeviceToken"]);

type Failure = Extract<PushOutcome, { ok: false }>;
const isDeadToken = (outcome: Failure) => outcome.permanent && (outcome.status === 410 || DEAD_TOKEN_REASONS.has(outcome.reason));

type PushRow = { id: number; udid: string; enrolled: number; pushToken: string | null; pushMagic: string | null; pushTopic: string | null; pushTokenInvalidAt: number | null };

/**
 * The push fields of a list of computers, by one statement prepared per database: every TokenUpdate pushes
 * its Mac, and a drizzle select built per call was 4 % of the event loop's CPU in an enrollment storm.
 */
const pushRowsStatements = new WeakMap<Db, ReturnType<Db["$client"]["prepare"]>>();
function readPushRows(db: Db, ids: number[]): PushRow[] {
  let statement = pushRowsStatements.get(db);
  if (!statement) {
    statement = db.$client.prepare(
      `select id, udid, enrolled, push_token as pushToken, push_magic as pushMagic, push_topic as pushTopic, push_token_invalid_at as pushTokenInvalidAt
       from computers where id in (select value from json_each(?))`,
    );
    pushRowsStatements.set(db, statement);
  }
  return statement.all(JSON.stringify(ids)) as PushRow[];
}

/** Pushes the given computers (DESIGN §3 wake-ups); skips those not enrolled or without a live token, and marks tokens APNs rejected for good. */
export async function pushComputers(deps: Pick<Deps, "db" | "clock" | "log"> & { push: PushProvider }, computerIds: number[]): Promise<PushComputersResult> {
  const ids = [...new Set(computerIds)];
  const rows: PushRow[] = [];
  for (let i = 0; i < ids.length; i += ID_CHUNK) {
    // A fleet-wide deployment pushes 100k Macs: reading them in one go held PUT /mdm for seconds.
    if (i > 0) await yieldToRequests();
    for (const row of readPushRows(deps.db, ids.slice(i, i + ID_CHUNK))) rows.push(row);
  }

  const byUdid = new Map<string, { id: number; token: string }>();
  const targets: PushTarget[] = [];
  for (const row of rows) {
    if (!row.enrolled || !row.pushToken || !row.pushMagic || !row.pushTopic || row.pushTokenInvalidAt) continue;
    byUdid.set(row.udid, { id: row.id, token: row.pushToken });
    targets.push({ udid: row.udid, token: row.pushToken, pushMagic: row.pushMagic, topic: row.pushTopic });
  }
  // Unknown ids count as skipped too: the caller asked, nothing was pushed.
  const skipped = ids.length - targets.length;
  if (targets.length === 0) return { sent: 0, failed: 0, skipped };

  let outcomes: PushOutcome[];
  try {
    outcomes = await deps.push.push(targets);
  } catch (err) {
    // A provider should report per device; if it throws anyway, the whole batch failed transiently.
    deps.log.error("Push provider failed", { provider: deps.push.name, targets: targets.length, error: err });
    return { sent: 0, failed: targets.length, skipped };
  }

  const answered = new Set<string>();
  const dead: { computerId: number; token: string; udid: string; outcome: Failure }[] = [];
  let sent = 0;
  for (const outcome of outcomes) {
    const computer = byUdid.get(outcome.udid);
    if (!computer || answered.has(outcome.udid)) continue;
    answered.add(outcome.udid);
    if (outcome.ok) {
      sent++;
      continue;
    }
    deps.log.warn("Push failed", { provider: deps.push.name, udid: outcome.udid, status: outcome.status, reason: outcome.reason, permanent: outcome.permanent });
    if (isDeadToken(outcome)) dead.push({ computerId: computer.id, token: computer.token, udid: outcome.udid, outcome });
  }
  const failed = targets.length - sent;

  if (dead.length > 0) {
    const now = deps.clock.now();
    deps.db.transaction(
      (tx) => {
        for (const { computerId, token, udid, outcome } of dead) {
          // Only the token that was pushed: a TokenUpdate that arrived meanwhile brought a new, live one.
          const changed = tx
            .update(computers)
            .set({ pushTokenInvalidAt: now, updatedAt: now })
            .where(and(eq(computers.id, computerId), eq(computers.pushToken, token), isNull(computers.pushTokenInvalidAt)))
            .run().changes;
          if (changed === 0) continue;
          tx.insert(events)
            .values({
              at: now,
              category: "device",
              type: "push.token_invalid",
              actor: "system",
              computerId,
              message: `APNs rejected the push token (${outcome.status ?? "no status"} ${outcome.reason}); waiting for the Mac to send a new one`,
              data: { udid, provider: deps.push.name, status: outcome.status ?? null, reason: outcome.reason },
            })
            .run();
        }
      },
      { behavior: "immediate" },
    );
  }

  deps.log.debug("Pushed computers", { provider: deps.push.name, sent, failed, skipped, tokensRetired: dead.length });
  return { sent, failed, skipped };
}

// The per-computer command queue (DESIGN §3.4, mdm-protocol.md §9.2, reliability-security.md §3).
// FIFO within a priority; serving changes nothing but `sent`, so a command whose report was lost is simply
// served again (at-least-once); terminal statuses are sticky, so replays change nothing; at most one
// install is in flight per Mac, enforced here and by a partial unique index in the schema.
import { and, eq, inArray, isNull, sql } from "drizzle-orm";

import { withinTransaction, type Db } from "@/db/client";
import { dateOf } from "@/db/sql";
import { commands, type Command, type CommandErrorChainItem, type CommandPurpose, type CommandStatus } from "@/db/schema";

import { markComputersDirty, TARGETS_CHANGED } from "@/server/services/engine-state";

import { newCommandUuid } from "./command-uuid";
import { isInstallRequest, type CommandBody } from "./commands";

/** Statuses a report can still change: everything that is not terminal. */
const OPEN_STATUSES: CommandStatus[] = ["queued", "sent", "not_now"];

export type EnqueueInput = {
  computerId: number;
  command: CommandBody;
  purpose: CommandPurpose;
  priority?: number;
  deploymentId?: number | null;
  attempt?: number | null;
  /** A retry of the same request (same key) returns the first command instead of queueing a second. */
  idempotencyKey?: string;
  uuid?: string;
};

/** A commands row as a raw statement reads it: instants in ms, the flag as 0/1, JSON columns as text. */
type CommandRow = Omit<Command, "isInstall" | "createdAt" | "sentAt" | "completedAt" | "notNowAt" | "releasedAt" | "errorChain" | "result"> & {
  isInstall: number;
  createdAt: number;
  sentAt: number | null;
  completedAt: number | null;
  notNowAt: number | null;
  releasedAt: number | null;
  errorChain: string | null;
  result: string | null;
};
const COMMAND_COLUMNS = `select uuid, computer_id as computerId, request_type as requestType, payload, status, priority, seq, purpose, is_install as isInstall,
  deployment_id as deploymentId, attempt, idempotency_key as idempotencyKey, created_at as createdAt, sent_at as sentAt, completed_at as completedAt,
  not_now_at as notNowAt, not_now_count as notNowCount, released_at as releasedAt, error_chain as errorChain, response, result from commands`;

/** A Command as drizzle would map the row (the schema's timestamp, boolean and json modes). */
function commandOf(r: CommandRow): Command {
  return {
    uuid: r.uuid,
    computerId: r.computerId,
    requestType: r.requestType,
    payload: r.payload,
    status: r.status,
    priority: r.priority,
    seq: r.seq,
    purpose: r.purpose,
    isInstall: r.isInstall === 1,
    deploymentId: r.deploymentId,
    attempt: r.attempt,
    idempotencyKey: r.idempotencyKey,
    createdAt: new Date(r.createdAt),
    sentAt: dateOf(r.sentAt),
    completedAt: dateOf(r.completedAt),
    notNowAt: dateOf(r.notNowAt),
    notNowCount: r.notNowCount,
    releasedAt: dateOf(r.releasedAt),
    errorChain: r.errorChain === null ? null : (JSON.parse(r.errorChain) as Command["errorChain"]),
    response: r.response,
    result: r.result === null ? null : (JSON.parse(r.result) as Command["result"]),
  };
}

type Statements = ReturnType<typeof prepare>;
const cache = new WeakMap<Db, Statements>();

/** Per-request statements, built once per database (STYLE §3.8: prepared statements on the hot path). */
function prepare(db: Db) {
  return {
    byUuid: db
      .select()
      .from(commands)
      .where(eq(commands.uuid, sql.placeholder("uuid")))
      .prepare(),
    // Raw, with the statuses, the flag and the limit written into the SQL: a bound LIMIT, or a bound value the
    // planner compares with a partial index's WHERE (is_install = 1), makes SQLite prepare the statement again
    // on every run (the plan depends on the value): 60 → 10 µs and 23 → 5 µs per poll, on the 100k snapshot.
    candidates: db.$client.prepare<[number], CommandRow>(
      `${COMMAND_COLUMNS} where computer_id = ? and status in (${OPEN_STATUSES.map((st) => `'${st}'`).join(", ")}) order by priority desc, seq limit 64`,
    ),
    installInFlight: db.$client.prepare<[number], string>("select uuid from commands where computer_id = ? and is_install = 1 and sent_at is not null and released_at is null").pluck(),
    // Raw updates: a drizzle update built per call cost more than the write itself on every check-in.
    markSent: db.$client.prepare("update commands set status = 'sent', sent_at = @sentAt where uuid = @uuid"),
    notNow: db.$client.prepare("update commands set status = 'not_now', not_now_at = @notNowAt, not_now_count = @notNowCount where uuid = @uuid"),
    complete: db.$client.prepare(
      `update commands set status = @status, completed_at = @completedAt, error_chain = @errorChain, response = @response, result = @result, released_at = @releasedAt
       where uuid = @uuid`,
    ),
    // Whether a computer has any open command, from commands_next_idx alone.
    anyOpen: db.$client.prepare(`select 1 from commands where computer_id = ? and status in (${OPEN_STATUSES.map((st) => `'${st}'`).join(", ")}) limit 1`).pluck(),
    // Raw and without RETURNING (which doubles an insert's cost): an engine pass queues tens of thousands,
    // and the caller builds the row it already knows.
    maxSeq: db.$client.prepare("select max(seq) from commands").pluck(),
    insert: db.$client.prepare(
      `insert into commands (uuid, computer_id, request_type, payload, status, priority, seq, purpose, is_install, deployment_id, attempt, idempotency_key, created_at)
       values (@uuid, @computerId, @requestType, @payload, 'queued', @priority, @seq, @purpose, @isInstall, @deploymentId, @attempt, @idempotencyKey, @createdAt)`,
    ),
    // commandBatch: rows [uuid, computer, request type, payload, priority, purpose, is install, deployment, attempt].
    insertMany: db.$client.prepare(
      `insert into commands (uuid, computer_id, request_type, payload, status, priority, seq, purpose, is_install, deployment_id, attempt, idempotency_key, created_at)
       select c.value ->> 0, c.value ->> 1, c.value ->> 2, c.value ->> 3, 'queued', c.value ->> 4, @seq + c.key, c.value ->> 5, c.value ->> 6, c.value ->> 7, c.value ->> 8, null, @createdAt
       from json_each(@rows) c order by c.key`,
    ),
  };
}

function statements(db: Db): Statements {
  let s = cache.get(db);
  if (!s) {
    s = prepare(db);
    cache.set(db, s);
  }
  return s;
}

/**
 * Queues a command. Runs in its own IMMEDIATE transaction, or in the caller's when there is one (an engine
 * pass queues thousands: the insert is prepared once per database).
 */
export function enqueueCommand(db: Db, input: EnqueueInput, now: Date): Command {
  const write = () => {
    const s = statements(db);
    if (input.idempotencyKey) {
      const existing = db.select().from(commands).where(eq(commands.idempotencyKey, input.idempotencyKey)).get();
      if (existing) return existing;
    }
    const uuid = input.uuid ?? newCommandUuid(now);
    const payload = JSON.stringify(input.command);
    const isInstall = isInstallRequest(input.command.RequestType);
    const seq = ((s.maxSeq.get() as number | null) ?? 0) + 1;
    const deploymentId = input.deploymentId ?? null;
    const attempt = input.attempt ?? null;
    const idempotencyKey = input.idempotencyKey ?? null;
    const priority = input.priority ?? 0;
    s.insert.run({ uuid, computerId: input.computerId, requestType: input.command.RequestType, payload, priority, seq, purpose: input.purpose, isInstall: isInstall ? 1 : 0, deploymentId, attempt, idempotencyKey, createdAt: now.getTime() });
    // Spelled out, not `{ ...row, seq, … }`: an engine pass queues thousands (eslint.config.mjs, spread-then-add).
    return {
      uuid,
      computerId: input.computerId,
      requestType: input.command.RequestType,
      payload,
      status: "queued",
      priority,
      seq,
      purpose: input.purpose,
      isInstall,
      deploymentId,
      attempt,
      idempotencyKey,
      createdAt: now,
      sentAt: null,
      completedAt: null,
      notNowAt: null,
      notNowCount: 0,
      releasedAt: null,
      errorChain: null,
      response: null,
      result: null,
    } satisfies Command;
  };
  return withinTransaction(db, write);
}

/** A command an engine pass queues: always a new one (no idempotency key), its uuid made by the batch. */
export type BatchedCommand = Omit<EnqueueInput, "idempotencyKey" | "uuid">;

/**
 * Commands queued together, as enqueueCommand would queue them one by one (seq in the order added): `add`
 * gives the new command's uuid at once, `flush` writes those added since in one INSERT … SELECT over a JSON
 * array of rows. An engine pass queues one command per Mac of a fan-out, and binding thirteen values per row
 * cost more than the rows. The caller flushes before anything that reads or changes its queued commands.
 */
export function commandBatch(db: Db, now: Date) {
  const rows: (string | number | null)[][] = [];
  return {
    add(input: BatchedCommand): string {
      const uuid = newCommandUuid(now);
      const priority = input.priority ?? 0;
      rows.push([uuid, input.computerId, input.command.RequestType, JSON.stringify(input.command), priority, input.purpose, isInstallRequest(input.command.RequestType) ? 1 : 0, input.deploymentId ?? null, input.attempt ?? null]);
      return uuid;
    },
    flush(): number {
      if (rows.length === 0) return 0;
      const s = statements(db);
      const n = rows.length;
      withinTransaction(db, () => s.insertMany.run({ rows: JSON.stringify(rows), seq: ((s.maxSeq.get() as number | null) ?? 0) + 1, createdAt: now.getTime() }));
      rows.length = 0;
      return n;
    },
  };
}

/**
 * The command to send at this poll, marked sent, or undefined for an empty queue. After a NotNow report
 * (`afterNotNow`), NotNow'd commands wait for the next poll (Apple: "Handling NotNow status responses").
 * An install waits while another install to this Mac is in flight.
 */
export function nextCommand(db: Db, computerId: number, options: { afterNotNow: boolean }, now: Date): Command | undefined {
  // Most polls find nothing: answer those from the index without a write transaction (better-sqlite3 is
  // synchronous, so nothing can be queued between this read and the return).
  if (statements(db).anyOpen.get(computerId) === undefined) return undefined;
  return withinTransaction(db, () => {
    const s = statements(db);
    const inFlight = s.installInFlight.get(computerId);
    // Mapped after the choice: most polls send the first candidate.
    const row = s.candidates.all(computerId).find((c) => {
      if (options.afterNotNow && c.status === "not_now") return false;
      return c.isInstall === 0 || inFlight === undefined || inFlight === c.uuid;
    });
    if (!row) return undefined;
    const next = commandOf(row);
    const sentAt = next.sentAt ?? now;
    s.markSent.run({ uuid: next.uuid, sentAt: sentAt.getTime() });
    // A deployment's command on its way: its target's phase and its attempt's window follow from sentAt.
    if (next.deploymentId !== null && next.sentAt === null) markComputersDirty(db, [computerId], TARGETS_CHANGED);
    return Object.assign({}, next, { status: "sent" as const, sentAt });
  });
}

export type ReportInput = {
  commandUuid: string;
  status: "Acknowledged" | "Error" | "CommandFormatError" | "NotNow";
  errorChain?: CommandErrorChainItem[];
  raw?: string;
  result?: Record<string, unknown>;
};

/**
 * - `recorded`: the report changed the command (the caller applies its result).
 * - `duplicate`: a repeat for a command this computer already completed: nothing changes (answer 200).
 * - `unknown`: never sent to this computer (unknown, another computer's, or still unsent): answer 400.
 */
export type ReportOutcome = { kind: "recorded"; command: Command } | { kind: "duplicate"; command: Command } | { kind: "unknown" };

const TERMINAL_OF: Record<Exclude<ReportInput["status"], "NotNow">, CommandStatus> = {
  Acknowledged: "acknowledged",
  Error: "error",
  CommandFormatError: "command_format_error",
};

/** Records a device's report on one command. Terminal statuses are sticky; replays change nothing. */
export function recordReport(db: Db, computerId: number, report: ReportInput, now: Date): ReportOutcome {
  return withinTransaction(db, (): ReportOutcome => {
    const s = statements(db);
    const command = s.byUuid.get({ uuid: report.commandUuid });
    if (!command || command.computerId !== computerId) return { kind: "unknown" } as const;
    if (command.status === "queued" || command.sentAt === null) return { kind: "unknown" } as const;
    if (!OPEN_STATUSES.includes(command.status)) return { kind: "duplicate", command } as const;

    if (report.status === "NotNow") {
      const update = { status: "not_now" as const, notNowAt: command.notNowAt ?? now, notNowCount: command.notNowCount + 1 };
      s.notNow.run({ uuid: command.uuid, notNowAt: update.notNowAt.getTime(), notNowCount: update.notNowCount });
      return { kind: "recorded", command: { ...command, ...update } } as const;
    }

    const status = TERMINAL_OF[report.status];
    const update = {
      status,
      completedAt: now,
      errorChain: report.errorChain ?? null,
      response: report.raw ?? null,
      result: report.result ?? null,
      // An install the Mac refused no longer occupies its install slot; an acknowledged one does until
      // the engine confirms it, fails it or its window ends (releaseInstallSlot).
      releasedAt: command.isInstall && status !== "acknowledged" ? now : command.releasedAt,
    };
    s.complete.run({
      uuid: command.uuid,
      status,
      completedAt: now.getTime(),
      errorChain: update.errorChain === null ? null : JSON.stringify(update.errorChain), // the columns' json mode
      response: update.response,
      result: update.result === null ? null : JSON.stringify(update.result),
      releasedAt: update.releasedAt?.getTime() ?? null,
    });
    return { kind: "recorded", command: { ...command, ...update } } as const;
  });
}

/** Frees a Mac's install slot: the install was confirmed, failed, or its window ended (DESIGN §3.4 items 5, 7). */
export function releaseInstallSlot(db: Db, commandUuid: string, now: Date): boolean {
  const r = db
    .update(commands)
    .set({ releasedAt: now })
    .where(and(eq(commands.uuid, commandUuid), eq(commands.isInstall, true), isNull(commands.releasedAt)))
    .run();
  return r.changes > 0;
}

/**
 * Retires an install the engine has given up on (its window ended, the target left, or it was superseded):
 * frees the Mac's install slot and, if the Mac never answered it, cancels it, so it cannot be served again
 * beside the next attempt. An acknowledged or failed install keeps its status.
 */
export function retireInstall(db: Db, commandUuid: string, now: Date): void {
  withinTransaction(db, () => {
    db.update(commands)
      .set({ status: "canceled", completedAt: now })
      .where(and(eq(commands.uuid, commandUuid), eq(commands.isInstall, true), inArray(commands.status, OPEN_STATUSES)))
      .run();
    releaseInstallSlot(db, commandUuid, now);
  });
}

/**
 * Cancels a command that the Mac has not accepted: queued, or refused with NotNow. A command that is out
 * on the device (sent, no answer yet) or finished cannot be cancelled.
 */
export function cancelCommand(db: Db, commandUuid: string, now: Date): { canceled: boolean; status?: CommandStatus } {
  return db.transaction(
    () => {
      const command = statements(db).byUuid.get({ uuid: commandUuid });
      if (!command) return { canceled: false };
      if (command.status !== "queued" && command.status !== "not_now") return { canceled: false, status: command.status };
      db.update(commands)
        .set({ status: "canceled", completedAt: now, releasedAt: command.isInstall && command.sentAt ? now : command.releasedAt })
        .where(eq(commands.uuid, commandUuid))
        .run();
      markComputersDirty(db, [command.computerId], TARGETS_CHANGED);
      return { canceled: true, status: "canceled" as const };
    },
    { behavior: "immediate" },
  );
}

/** Cancels every unfinished command of a computer and frees its install slot (re-enrollment, CheckOut). */
export function clearQueue(db: Db, computerId: number, now: Date): number {
  return db.transaction(
    () => {
      const r = db
        .update(commands)
        .set({ status: "canceled", completedAt: now })
        .where(and(eq(commands.computerId, computerId), inArray(commands.status, OPEN_STATUSES)))
        .run();
      db.update(commands)
        .set({ releasedAt: now })
        .where(and(eq(commands.computerId, computerId), eq(commands.isInstall, true), isNull(commands.releasedAt)))
        .run();
      markComputersDirty(db, [computerId], TARGETS_CHANGED);
      return r.changes;
    },
    { behavior: "immediate" },
  );
}

/** The command body as queued. */
export function commandBody(command: Pick<Command, "payload">): CommandBody {
  return JSON.parse(command.payload) as CommandBody;
}

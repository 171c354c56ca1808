// What a Mac's messages do to Pomona's state: enrollment check-ins, inventory answers, last check-in.
// Called by the MDM endpoint after decoding and device authentication; every change is one transaction.
import { and, eq, ne, sql } from "drizzle-orm";

import { DAY } from "@/server/clock";
import { resolveArchitecture } from "@/server/engine/architecture";
import type { Deps } from "@/server/deps";
import { buildDeviceInformation, buildInstalledApplicationList } from "@/server/queue/commands";
import { clearQueue, enqueueCommand, recordReport, type ReportInput, type ReportOutcome } from "@/server/queue/queue";
import { FACTS_CHANGED, markComputersDirty, TARGETS_CHANGED } from "@/server/services/engine-state";
import { insertEvent } from "@/server/services/events";
import { withinTransaction, type Db } from "@/db/client";
import { computers, events, type Command, type Computer, type NewEvent } from "@/db/schema";

type DeviceDeps = Pick<Deps, "db" | "clock">;

/** Check-in fields as the endpoint hands them over (Apple's keys, already validated). */
export type AuthenticateInput = {
  UDID: string;
  Topic: string;
  DeviceName?: string;
  Model?: string;
  ModelName?: string;
  ProductName?: string;
  SerialNumber?: string;
  OSVersion?: string;
  BuildVersion?: string;
};
export type TokenUpdateInput = { UDID: string; Topic: string; Token: string; PushMagic: string; UserID?: string };

export type DeviceInformationAnswer = {
  DeviceName?: string;
  OSVersion?: string;
  BuildVersion?: string;
  Model?: string;
  ModelName?: string;
  ProductName?: string;
  SerialNumber?: string;
  IsAppleSilicon?: boolean;
};
export type InstalledApplicationAnswer = { Identifier?: string; Name?: string; Version?: string; ShortVersion?: string; BundleSize?: number; Installing?: boolean };

/** When a Mac's inventory was last received or asked for (schema.ts computers_inventory_checked_idx). */
const CHECKED = 'max(coalesce("last_inventory_at", 0), coalesce("inventory_requested_at", 0))';

/** An installed app as applyInstalledApplicationList compares it (AppRow). */
const APP_COLUMNS = "id, bundle_id bundleId, name, version, short_version shortVersion, bundle_size bundleSize, installing";

const statementCache = new WeakMap<Db, ReturnType<typeof prepare>>();
function prepare(db: Db) {
  return {
    byUdid: db
      .select()
      .from(computers)
      .where(eq(computers.udid, sql.placeholder("udid")))
      .prepare(),
    byCertificate: db
      .select({ id: computers.id, udid: computers.udid })
      .from(computers)
      .where(and(eq(computers.identityCertSha256, sql.placeholder("sha")), ne(computers.udid, sql.placeholder("udid"))))
      .prepare(),
    boundCertificate: db.$client.prepare("select 1 from computers where identity_cert_sha256 = ? limit 1").pluck(),
    touch: db
      .update(computers)
      .set({ lastCheckinAt: sql`${sql.placeholder("now")}`, updatedAt: sql`${sql.placeholder("now")}` })
      .where(eq(computers.id, sql.placeholder("id")))
      .prepare(),
    inventoried: db
      .update(computers)
      .set({ lastInventoryAt: sql`${sql.placeholder("now")}`, updatedAt: sql`${sql.placeholder("now")}` })
      .where(eq(computers.id, sql.placeholder("id")))
      .prepare(),
    deviceInformation: db.$client.prepare(
      `update computers set name = coalesce(@name, name), os_version = coalesce(@osVersion, os_version), build_version = coalesce(@buildVersion, build_version),
         model = coalesce(@model, model), model_name = coalesce(@modelName, model_name), product_name = coalesce(@productName, product_name),
         serial_number = coalesce(@serialNumber, serial_number), architecture = coalesce(@architecture, architecture),
         device_information_at = @now, updated_at = @now
       where id = @id`,
    ),
    appsOf: db.$client.prepare(`select ${APP_COLUMNS} from installed_apps where computer_id = ?`),
    // An answer limited to some bundle ids (a verifying InstalledApplicationList: one id, every Mac of a
    // deploy) replaces only those: read just their rows, through installed_apps_computer_idx, not the ~30
    // of the Mac's whole list (4 % of G3's drain on the event loop, most of it rows this answer never touches).
    appsOfBundles: db.$client.prepare(`select ${APP_COLUMNS} from installed_apps where computer_id = ? and bundle_id in (select value from json_each(?))`),
    deleteAppRow: db.$client.prepare("delete from installed_apps where id = ?"),
    // Scheduled inventory (queueDueInventory): the Macs checked longest ago, by the expression of the index
    // computers_inventory_checked_idx (written the same, or SQLite does not use it), with whether a request is open.
    inventoryCandidates: db.$client.prepare(
      `select id, enrolled, exists (select 1 from commands m where m.computer_id = computers.id and m.purpose in ('inventory', 'device_information')
           and m.status in ('queued', 'sent', 'not_now')) open
         from computers where ${CHECKED} < ? order by ${CHECKED} limit ?`,
    ),
    inventoryRequested: db.$client.prepare("update computers set inventory_requested_at = ? where id = ?"),
    // Authenticate of a new Mac and TokenUpdate: once per enrollment, thousands a minute in an enrollment storm.
    insertComputer: db.$client.prepare(
      `insert into computers (udid, name, serial_number, model, model_name, product_name, os_version, build_version, architecture, enrolled,
         push_token, push_magic, push_topic, push_token_invalid_at, identity_cert_sha256, last_checkin_at, created_at, updated_at)
       values (@udid, @name, @serialNumber, @model, @modelName, @productName, @osVersion, @buildVersion, @architecture, 0,
         null, null, @pushTopic, null, @identityCertSha256, @now, @now, @now)`,
    ),
    tokenUpdate: db.$client.prepare(
      `update computers set push_token = @pushToken, push_magic = @pushMagic, push_topic = @pushTopic, push_token_invalid_at = null, enrolled = 1,
         enrolled_at = @enrolledAt, unenrolled_at = null, last_checkin_at = @now, updated_at = @now
       where id = @id`,
    ),
    insertApp: db.$client.prepare(
      `insert into installed_apps (computer_id, bundle_id, name, version, short_version, bundle_size, installing)
       values (@computerId, @bundleId, @name, @version, @shortVersion, @bundleSize, @installing)`,
    ),
  };
}
/** The statements prepared once per database (exported for the query-plan test). */
export function deviceStatements(db: Db) {
  let s = statementCache.get(db);
  if (!s) statementCache.set(db, (s = prepare(db)));
  return s;
}

export function findComputerByUdid(deps: Pick<Deps, "db">, udid: string): Computer | undefined {
  return deviceStatements(deps.db).byUdid.get({ udid });
}

/** Whether this certificate is a computer's identity, bound at its Authenticate (device-auth.ts BoundIdentityCheck). */
export function isBoundIdentity(deps: Pick<Deps, "db">, certificateSha256: string): boolean {
  return deviceStatements(deps.db).boundCertificate.get(certificateSha256) !== undefined;
}

/** The UDID another computer is bound to with this certificate, if any (NanoMDM: no certificate reuse). */
export function findOtherComputerWithCertificate(deps: Pick<Deps, "db">, certificateSha256: string, udid: string): string | undefined {
  return deviceStatements(deps.db).byCertificate.get({ sha: certificateSha256, udid })?.udid;
}

function deviceEvent(computerId: number, type: string, message: string, at: Date, extra: Partial<NewEvent> = {}): NewEvent {
  return { at, category: "device", type, actor: "device", computerId, message, ...extra };
}

/** The computer columns an Authenticate or a DeviceInformation answer reports (null: the key is absent). */
function reportedFacts(m: Pick<DeviceInformationAnswer, "DeviceName" | "SerialNumber" | "Model" | "ModelName" | "ProductName" | "OSVersion" | "BuildVersion">) {
  return {
    name: m.DeviceName ?? null,
    serialNumber: m.SerialNumber ?? null,
    model: m.Model ?? null,
    modelName: m.ModelName ?? null,
    productName: m.ProductName ?? null,
    osVersion: m.OSVersion ?? null,
    buildVersion: m.BuildVersion ?? null,
  };
}

/**
 * Authenticate: a (new) enrollment begins. Creates or updates the computer, binds the identity certificate,
 * and, for a known UDID, starts afresh: the old queue is cancelled and the Mac is not enrolled until its
 * TokenUpdate (mdm-protocol.md §8 quirk 8).
 */
export function recordAuthenticate(deps: DeviceDeps, msg: AuthenticateInput, certificateSha256: string | null): Computer {
  const now = deps.clock.now();
  return deps.db.transaction(
    (tx) => {
      const facts = Object.assign({}, reportedFacts(msg), {
        name: msg.DeviceName ?? "",
        enrolled: false,
        pushToken: null,
        pushMagic: null,
        pushTopic: msg.Topic,
        pushTokenInvalidAt: null,
        identityCertSha256: certificateSha256,
        lastCheckinAt: now,
        updatedAt: now,
      });
      const s = deviceStatements(deps.db);
      const existing = s.byUdid.get({ udid: msg.UDID });
      let computer: Computer;
      if (existing) {
        computer = tx.update(computers).set(facts).where(eq(computers.id, existing.id)).returning().get();
        const canceled = clearQueue(deps.db, existing.id, now);
        insertEvent(deps.db, deviceEvent(existing.id, "device.reenrolling", `Re-enrollment started (Authenticate); ${canceled} unfinished commands of the previous enrollment cancelled`, now));
      } else {
        const architecture = msg.Model ? resolveArchitecture({ model: msg.Model }) : undefined;
        const { name, serialNumber, model, modelName, productName, osVersion, buildVersion } = facts;
        s.insertComputer.run({ udid: msg.UDID, name, serialNumber, model, modelName, productName, osVersion, buildVersion, architecture: architecture ?? null, pushTopic: msg.Topic, identityCertSha256: certificateSha256, now: now.getTime() });
        const inserted = s.byUdid.get({ udid: msg.UDID });
        if (!inserted) throw new Error(`computer ${msg.UDID} was not stored`);
        computer = inserted;
        insertEvent(deps.db, deviceEvent(computer.id, "device.authenticate", "Enrollment started (Authenticate)", now));
      }
      markComputersDirty(deps.db, [computer.id]);
      return computer;
    },
    { behavior: "immediate" },
  );
}

export type TokenUpdateOutcome = { computer: Computer; firstOfEnrollment: boolean };

/**
 * TokenUpdate: the MDM profile is installed, or the push token changed. The first one of an enrollment
 * marks the Mac enrolled and queues its first inventory: DeviceInformation (architecture and macOS version
 * come only from it) and InstalledApplicationList. User-channel TokenUpdates are accepted and not used.
 */
export function recordTokenUpdate(deps: DeviceDeps, computer: Computer, msg: TokenUpdateInput): TokenUpdateOutcome {
  const now = deps.clock.now();
  if (msg.UserID !== undefined) return { computer, firstOfEnrollment: false };
  const s = deviceStatements(deps.db);
  return deps.db.transaction(
    () => {
      const firstOfEnrollment = !computer.enrolled;
      s.tokenUpdate.run({
        id: computer.id,
        pushToken: Buffer.from(msg.Token, "base64").toString("hex"),
        pushMagic: msg.PushMagic,
        pushTopic: msg.Topic,
        enrolledAt: firstOfEnrollment ? now.getTime() : (computer.enrolledAt?.getTime() ?? null),
        now: now.getTime(),
      });
      const updated = s.byUdid.get({ udid: computer.udid });
      if (!updated) throw new Error(`computer ${computer.udid} is gone`);
      markIfCheckinWasStale(deps.db, computer, now);
      if (firstOfEnrollment) {
        insertEvent(deps.db, deviceEvent(computer.id, "device.enrolled", "Enrolled (TokenUpdate); device information and inventory requested", now));
        queueInventory(deps.db, computer.id, now);
        markComputersDirty(deps.db, [computer.id]);
      }
      return { computer: updated, firstOfEnrollment };
    },
    { behavior: "immediate" },
  );
}

/** Queues an inventory refresh: DeviceInformation, then the full InstalledApplicationList (DESIGN §4.1). */
export function queueInventory(db: Db, computerId: number, now: Date): string[] {
  deviceStatements(db).inventoryRequested.run(now.getTime(), computerId);
  return [
    enqueueCommand(db, { computerId, command: buildDeviceInformation(), purpose: "device_information", priority: 1 }, now).uuid,
    enqueueCommand(db, { computerId, command: buildInstalledApplicationList(), purpose: "inventory" }, now).uuid,
  ];
}

/** CheckOut: the MDM profile was removed. The Mac is unenrolled and its unfinished commands cancelled. */
export function recordCheckOut(deps: DeviceDeps, computer: Computer) {
  const now = deps.clock.now();
  deps.db.transaction(
    (tx) => {
      tx.update(computers).set({ enrolled: false, unenrolledAt: now, lastCheckinAt: now, updatedAt: now }).where(eq(computers.id, computer.id)).run();
      clearQueue(deps.db, computer.id, now); // marks the computer for the engine
      insertEvent(deps.db, deviceEvent(computer.id, "device.checked_out", "Unenrolled (CheckOut: the MDM profile was removed)", now));
    },
    { behavior: "immediate" },
  );
}

/** Any authenticated contact: stamps the last check-in. */
export function touchCheckin(deps: DeviceDeps, computer: Pick<Computer, "id" | "lastCheckinAt">) {
  const now = deps.clock.now();
  deviceStatements(deps.db).touch.run({ id: computer.id, now: now.getTime() });
  markIfCheckinWasStale(deps.db, computer, now);
}

/**
 * "Last Check-in … x days ago" (x a whole number of days) can change for a Mac that checks in only if its
 * previous check-in was at least a day old: then its groups are evaluated again. Time moving past a
 * threshold is the scheduler's to find (deployment-engine.ts, timeCriteriaCandidates).
 */
function markIfCheckinWasStale(db: Db, computer: Pick<Computer, "id" | "lastCheckinAt">, now: Date) {
  if (computer.lastCheckinAt === null || now.getTime() - computer.lastCheckinAt.getTime() >= DAY) markComputersDirty(db, [computer.id], FACTS_CHANGED);
}

/**
 * A command report (Acknowledged, Error, CommandFormatError, NotNow): records it on the queue and, for an
 * acknowledged inventory command, applies its answer, in one transaction, so a report answered 200 is kept
 * with everything it changed.
 */
export function recordCommandReport(
  deps: DeviceDeps,
  computer: Computer,
  report: ReportInput & { queryResponses?: DeviceInformationAnswer; installedApplications?: InstalledApplicationAnswer[] },
): ReportOutcome {
  const now = deps.clock.now();
  return withinTransaction(deps.db, () => {
    const outcome = recordReport(deps.db, computer.id, report, now);
    deviceStatements(deps.db).touch.run({ id: computer.id, now: now.getTime() });
    markIfCheckinWasStale(deps.db, computer, now);
    if (outcome.kind !== "recorded") return outcome;
    // Any recorded report can move a target (its command's status); a full inventory answer, or a limited
    // one (a verifying InstalledApplicationList) that changed a stored app, moves the computer's groups
    // too. The slice a verifying answer runs in its request (mdm/endpoint.ts) regroups the computer when
    // so marked, and leaves the rest to the scheduler.
    const command = outcome.command;
    let factsChanged = isFullInventoryAnswer(command);
    if (command.status === "acknowledged") {
      if (command.requestType === "DeviceInformation" && report.queryResponses) applyDeviceInformation(deps.db, computer.id, report.queryResponses, now);
      if (command.requestType === "InstalledApplicationList" && report.installedApplications) {
        // A limited answer that changed a stored app changes the computer's facts too.
        if (applyInstalledApplicationList(deps.db, computer.id, report.installedApplications, now, { identifiers: identifiersOf(command.payload) }) > 0) factsChanged = true;
      }
    }
    markComputersDirty(deps.db, [computer.id], factsChanged ? FACTS_CHANGED : TARGETS_CHANGED);
    if (command.status === "error" || command.status === "command_format_error") {
      const first = report.errorChain?.[0];
      const text = first?.USEnglishDescription ?? first?.LocalizedDescription ?? "no error description";
      deps.db
        .insert(events)
        .values(deviceEvent(computer.id, "command.error", `${command.requestType} failed: ${text}`, now, { commandUuid: command.uuid, deploymentId: command.deploymentId }))
        .run();
    }
    return outcome;
  });
}

/** An acknowledged DeviceInformation, or an InstalledApplicationList not limited to some identifiers. */
export function isFullInventoryAnswer(command: Pick<Command, "status" | "requestType" | "payload">): boolean {
  if (command.status !== "acknowledged") return false;
  return command.requestType === "DeviceInformation" || (command.requestType === "InstalledApplicationList" && identifiersOf(command.payload) === undefined);
}

/** The bundle ids an InstalledApplicationList was limited to, or undefined for the full list. */
function identifiersOf(payload: string): string[] | undefined {
  const ids = (JSON.parse(payload) as { Identifiers?: unknown[] }).Identifiers;
  return ids?.filter((i): i is string => typeof i === "string");
}

/** DeviceInformation's QueryResponses update the computer; architecture from IsAppleSilicon, else the model. */
export function applyDeviceInformation(db: Db, computerId: number, q: DeviceInformationAnswer, now: Date) {
  const architecture = resolveArchitecture({ isAppleSilicon: q.IsAppleSilicon, model: q.Model });
  // An absent key leaves its column as it is (coalesce): plists have no null, so null means "not reported".
  deviceStatements(db).deviceInformation.run({ id: computerId, ...reportedFacts(q), architecture: architecture ?? null, now: now.getTime() });
}

/**
 * An InstalledApplicationList answer replaces the computer's installed-app set (entries without an
 * Identifier are kept by name). An answer to a command limited to `identifiers` replaces only those bundle
 * ids: one asked for and absent from the answer is no longer installed.
 * Only the difference is written: a Mac's list rarely changes between inventories, and rewriting a few
 * hundred rows each time filled the WAL (and its checkpoints) for nothing. Prepared statements, one row
 * each: a statement built per call costs more than the rows. Returns the rows written (added and removed).
 */
export function applyInstalledApplicationList(db: Db, computerId: number, apps: InstalledApplicationAnswer[], now: Date, options: { identifiers?: readonly string[] } = {}): number {
  const s = deviceStatements(db);
  // A limited answer replaces those asked for, and any other the Mac answered with (it answers with the asked ones only).
  const identifiers = options.identifiers && new Set([...options.identifiers, ...apps.flatMap((a) => (a.Identifier === undefined ? [] : [a.Identifier]))]);
  const partial = identifiers !== undefined;
  let changes = 0;
  // The stored rows this answer replaces, by content (a list may hold the same app twice).
  const stored = new Map<string, number[]>();
  const rows = (identifiers ? s.appsOfBundles.all(computerId, JSON.stringify([...identifiers])) : s.appsOf.all(computerId)) as AppRow[];
  for (const row of rows) {
    const key = appKey(row);
    const ids = stored.get(key);
    if (ids) ids.push(row.id);
    else stored.set(key, [row.id]);
  }
  for (const a of apps) {
    if (a.Identifier === undefined && a.Name === undefined) continue;
    const row = { computerId, bundleId: a.Identifier ?? null, name: a.Name ?? a.Identifier ?? "", version: a.Version ?? null, shortVersion: a.ShortVersion ?? null, bundleSize: a.BundleSize ?? null, installing: a.Installing ? 1 : 0 };
    const same = stored.get(appKey(row));
    if (same?.length) same.pop(); // already stored as it is: kept
    else {
      s.insertApp.run(row);
      changes++;
    }
  }
  for (const ids of stored.values()) {
    for (const id of ids) s.deleteAppRow.run(id);
    changes += ids.length;
  }
  if (!partial) s.inventoried.run({ id: computerId, now: now.getTime() });
  return changes;
}

type AppRow = { id: number; bundleId: string | null; name: string; version: string | null; shortVersion: string | null; bundleSize: number | null; installing: number };
const appKey = (r: Omit<AppRow, "id">) => JSON.stringify([r.bundleId, r.name, r.version, r.shortVersion, r.bundleSize, r.installing ? 1 : 0]);

/** Computers whose pushes are worth sending (enrolled, with a live token). */
export function isPushable(c: Pick<Computer, "enrolled" | "pushToken" | "pushMagic" | "pushTokenInvalidAt">) {
  return c.enrolled && c.pushToken !== null && c.pushMagic !== null && c.pushTokenInvalidAt === null;
}

/** Marks a CommandUUID this computer was never sent: one security event, nothing else changes. */
export function recordUnknownCommandReport(deps: DeviceDeps, computer: Computer, commandUuid: string, status: string) {
  deps.db
    .insert(events)
    .values({
      at: deps.clock.now(),
      category: "security",
      type: "mdm.unknown_command_report",
      actor: "device",
      computerId: computer.id,
      commandUuid: commandUuid.slice(0, 128),
      message: `Report ${status} for command ${commandUuid.slice(0, 64)}, which was never sent to this computer: refused`,
    })
    .run();
}


/**
 * Macs asked for inventory per scheduler tick at most: a fleet whose inventory all falls due at once (a
 * server back from a long stop) is spread over ticks instead of one transaction and one burst of pushes.
 */
export const INVENTORY_BATCH = 500;

/**
 * Keeps inventory fresh on its own interval (DESIGN §3.4 item 4): enrolled Macs whose last full inventory,
 * and last request for one, are older than `intervalMs`, and that have no inventory request open, get
 * DeviceInformation and InstalledApplicationList, the longest unchecked first, at most `batch` Macs looked
 * at per call. A request that failed is asked again an interval after it was made. Returns the computers
 * to wake.
 */
export function queueDueInventory(deps: DeviceDeps, intervalMs: number, batch = INVENTORY_BATCH): number[] {
  const now = deps.clock.now();
  const s = deviceStatements(deps.db);
  return deps.db.transaction(
    () => {
      // Never checked (0) first, then the longest since a check. Every candidate's check is stamped now,
      // asked or not: a Mac whose request is still open (offline, busy with a deployment) is looked at
      // again an interval later, instead of being walked past on every tick.
      const candidates = s.inventoryCandidates.all(now.getTime() - intervalMs, batch) as { id: number; enrolled: number; open: number }[];
      const due: number[] = [];
      for (const c of candidates) {
        if (c.enrolled && !c.open) {
          queueInventory(deps.db, c.id, now);
          due.push(c.id);
        } else s.inventoryRequested.run(now.getTime(), c.id);
      }
      return due;
    },
    { behavior: "immediate" },
  );
}

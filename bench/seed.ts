// Builds the seeded database snapshot every phase copies (never re-seeds): N enrolled Macs, each with its
// own identity certificate issued by Pomona's device CA (bench/certs.ts: one shared P-256 key pair, one
// certificate per UDID) and its identity hash bound, installed apps from the virtual fleet generator,
// 200 smart groups with their stored membership, the bundled catalog, 200 App Installers (for G4; they
// have no targets yet), and one queued DeviceInformation for a quarter of the Macs (the Acknowledged part
// of the check-in mix). Written once per size into bench/.cache/ with the fleet file the load generator
// reads (precomputed signed Idle and Acknowledged bodies).
//
//   npx tsx bench/seed.ts --macs 10000       (run.ts calls ensureSnapshot itself)
import { createHash, generateKeyPairSync } from "node:crypto";
import fs from "node:fs";
import { performance } from "node:perf_hooks";

import safeRegex from "safe-regex2";

import { generateMacSpecs, THIRD_PARTY_APPS, type MacSpec } from "../simulator/catalog";
import { createMdmSigner } from "../simulator/signing";
import { rngFor, type Rng } from "../simulator/random";

import { createDeps } from "@/server/deps";
import { validateSmartGroup, type Criterion, type GroupDefinition } from "@/server/engine/smart-groups";
import { parseEnv } from "@/server/env.js";
import { silentLogger } from "@/server/log";
import { verifyMdmSignature } from "@/server/mdm/device-auth";
import { createLocalPushProvider } from "@/server/push/local";
import { buildDeviceInformation } from "@/server/queue/commands";
import { syncCatalog } from "@/server/services/catalog";
import { certificateSha256, ensureDeviceCa, getPushTopic } from "@/server/services/pki";
import { recalculateSmartGroups } from "@/server/services/smart-groups";
import { createDb } from "@/db/client";
import { catalogTitles, catalogVersions, deployments, smartGroupCriteria, smartGroups } from "@/db/schema";

import { CACHE_DIR, configFor, fleetMetaPath, fleetPath, SEED_VERSION, snapshotPath } from "./config";
import { createLeafIssuer } from "./certs";
import { deviceInformationAnswer, encodeBody, fleetExists, idleReport, readFleetMeta, seededCommandUuid, writeFleet, type FleetLine, type FleetMeta } from "./fleet";

const DAY = 86_400_000;

export function removeDb(file: string) {
  for (const suffix of ["", "-wal", "-shm", "-journal"]) fs.rmSync(`${file}${suffix}`, { force: true });
}

// ---------------------------------------------------------------------------------------------------------
// Smart groups: 200 definitions from a menu of criteria with known rough selectivity. Mostly narrow (two
// or three criteria joined by "and"), a few broad ones, some "or", parentheses and Computer Group references
// to earlier groups (no cycles). Every definition is checked with Pomona's own validator before it is stored.
// ---------------------------------------------------------------------------------------------------------

const OS_VALUES = ["12.0", "13.0", "13.6.9", "14.0", "14.5", "14.6.1", "14.7", "15.0", "15.1"];
const MODEL_NAMES = ["MacBook Air", "MacBook Pro", "Mac mini", "iMac"];
const NAME_PARTS = ["’s macbook", "lab", "room", "mac 0", "mac 1", "-mac-", "air", "pro", "an", "el", "ma", "jo"];
const NAME_REGEXES = ["^[a-d]", "^(lab|room)", "[0-9]{2}$", "-(mac|mbp|mba)-20(2[2-4])$", "^[m-z].*air"];
const SERIAL_PARTS = ["C02", "F", "Q", "7", "X1", "L"];
const APPLE_TITLES = ["Safari", "Pages", "Numbers", "Keynote", "Music", "System Settings", "System Preferences"];

function atom(rng: Rng, earlier: GroupDefinition[]): Criterion {
  const app = rng.pick(THIRD_PARTY_APPS);
  const kind = rng.int(0, 13);
  switch (kind) {
    case 0:
      return { field: "Operating System Version", operator: rng.pick(["greater than or equal", "greater than"]), value: rng.pick(OS_VALUES) };
    case 1:
      return { field: "Operating System Version", operator: rng.pick(["less than", "less than or equal", "is"]), value: rng.pick(OS_VALUES) };
    case 2:
      return { field: "Architecture Type", operator: rng.pick(["is", "is not"]), value: rng.pick(["arm64", "x86_64", "Apple silicon", "Intel"]) };
    case 3:
    case 4:
      return { field: "Application Bundle ID", operator: rng.chance(0.9) ? "has" : "does not have", value: app.identifier };
    case 5:
      return { field: "Application Title", operator: rng.chance(0.8) ? "has" : "does not have", value: rng.chance(0.7) ? app.name : rng.pick(APPLE_TITLES) };
    case 6:
      return { field: "Model", operator: rng.pick(["is", "is", "like", "not like"]), value: rng.pick(MODEL_NAMES) };
    case 7:
      return { field: "Computer Name", operator: rng.chance(0.9) ? "like" : "not like", value: rng.pick(NAME_PARTS) };
    case 8:
      return { field: "Computer Name", operator: "matches regex", value: rng.pick(NAME_REGEXES) };
    case 9:
      return { field: "Serial Number", operator: rng.chance(0.85) ? "like" : "not like", value: rng.pick(SERIAL_PARTS) };
    case 10:
      return { field: "Last Check-in", operator: rng.pick(["less than x days ago", "more than x days ago"]), value: String(rng.pick([1, 3, 7, 14, 30])) };
    case 11:
      return { field: "Last Inventory Update", operator: rng.pick(["less than x days ago", "more than x days ago"]), value: String(rng.pick([1, 7, 30])) };
    default: {
      if (earlier.length === 0) return { field: "Architecture Type", operator: "is", value: "arm64" };
      return { field: "Computer Group", operator: rng.chance(0.9) ? "member of" : "not member of", value: rng.pick(earlier.slice(0, Math.min(earlier.length, 40))).name };
    }
  }
}

export function generateSmartGroups(seed: number, count: number): GroupDefinition[] {
  const rng = rngFor(seed, "smart-groups");
  const groups: GroupDefinition[] = [{ id: 1, name: "All Macs", criteria: [{ field: "Operating System Version", operator: "greater than or equal", value: "10.0" }] }];
  const broad: Criterion[] = [
    { field: "Architecture Type", operator: "is", value: "arm64" },
    { field: "Architecture Type", operator: "is", value: "x86_64" },
    { field: "Operating System Version", operator: "greater than or equal", value: "14.0" },
    { field: "Application Bundle ID", operator: "has", value: "com.google.Chrome" },
    { field: "Last Check-in", operator: "less than x days ago", value: "30" },
    { field: "Application Title", operator: "has", value: "Slack" },
    { field: "Model", operator: "like", value: "MacBook" },
  ];
  for (const c of broad) groups.push({ id: groups.length + 1, name: `Broad ${groups.length + 1}: ${c.field} ${c.operator} ${c.value}`, criteria: [c] });
  while (groups.length < count) {
    const id = groups.length + 1;
    const size = rng.weighted([
      { value: 1, weight: 1 },
      { value: 2, weight: 4 },
      { value: 3, weight: 6 },
    ]);
    const criteria: Criterion[] = [];
    for (let i = 0; i < size; i++) criteria.push({ ...atom(rng, groups), joiner: i > 0 && rng.chance(0.1) ? "or" : "and" });
    if (size === 3 && rng.chance(0.3)) {
      criteria[0] = { ...criteria[0]!, openParen: true };
      criteria[1] = { ...criteria[1]!, joiner: "or", closeParen: true };
      criteria[2] = { ...criteria[2]!, joiner: "and" };
    }
    const candidate = { id, name: `Group ${String(id).padStart(3, "0")}`, criteria };
    if (validateSmartGroup(candidate, groups, { isSafeRegex: (p) => safeRegex(p) }).ok) groups.push(candidate);
  }
  return groups;
}

// ---------------------------------------------------------------------------------------------------------
// The snapshot
// ---------------------------------------------------------------------------------------------------------

const hex = (label: string, bytes = 32) => createHash("sha256").update(label).digest("hex").slice(0, bytes * 2);

function architectureOf(spec: MacSpec) {
  return spec.model.architecture;
}

export async function seedSnapshot(macs: number, seed: number, options: { groups: number; deployments: number; queuedShare: number; log?: (line: string) => void }) {
  const log = options.log ?? ((line: string) => console.log(line));
  const started = performance.now();
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  const target = snapshotPath(macs);
  const tmp = `${target}.tmp`;
  removeDb(tmp);

  const seedNow = new Date(Math.floor(Date.now() / 1000) * 1000);
  const clock = { now: () => seedNow };
  const db = createDb(tmp);
  const deps = createDeps({ env: parseEnv({ POMONA_DB: tmp, POMONA_DEMO: "0" }), db, clock, log: silentLogger, push: createLocalPushProvider() });
  const ca = ensureDeviceCa(deps);
  const topic = getPushTopic(deps);
  await syncCatalog(deps);

  // P-256, the key Pomona's enrollment issues (G8): signing with it costs the load generator 0.04 ms against
  // 0.79 ms with RSA-2048, CPU that on two shared cores came out of the server's (bench/README.md).
  const leafKey = generateKeyPairSync("ec", { namedCurve: "P-256", privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
  const issuer = createLeafIssuer({
    caCertificatePem: ca.certificatePem,
    caPrivateKeyPem: ca.privateKeyPem,
    leafPrivateKeyPem: leafKey.privateKey,
    notBefore: new Date(seedNow.getTime() - DAY),
    notAfter: new Date(seedNow.getTime() + 730 * DAY),
  });

  log(`seed: ${macs} Macs: fleet specs…`);
  const specs = generateMacSpecs(seed, macs);
  const sqlite = deps.db.$client;
  const insertComputer = sqlite.prepare(
    `insert into computers (udid, serial_number, name, model, model_name, product_name, os_version, build_version, architecture, enrolled, enrolled_at,
       last_checkin_at, last_inventory_at, device_information_at, push_token, push_magic, push_topic, identity_cert_sha256, created_at, updated_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertApp = sqlite.prepare(`insert into installed_apps (computer_id, bundle_id, name, version, short_version, bundle_size, installing) values (?, ?, ?, ?, ?, ?, 0)`);
  const insertCommand = sqlite.prepare(
    `insert into commands (uuid, computer_id, request_type, payload, status, priority, seq, purpose, is_install, created_at, not_now_count) values (?, ?, 'DeviceInformation', ?, 'queued', 1, ?, 'device_information', 0, ?, 0)`,
  );
  const payload = JSON.stringify(buildDeviceInformation());
  const lines: FleetLine[] = [];
  const rng = rngFor(seed, "seed-times");
  let queued = 0;
  let seq = 0;

  log("seed: certificates, signatures, computers, apps…");
  const BATCH = 2000;
  for (let start = 0; start < specs.length; start += BATCH) {
    sqlite.transaction(() => {
      for (let i = start; i < Math.min(specs.length, start + BATCH); i++) {
        const spec = specs[i]!;
        const certificateDer = issuer.issue(i, `Pomona bench device ${i}`);
        const sha = certificateSha256(certificateDer);
        const enrolledAt = seedNow.getTime() - rng.int(30, 400) * DAY;
        const lastCheckin = seedNow.getTime() - Math.floor(rng.next() * rng.pick([1, 3, 10, 45]) * DAY);
        // Inventory refreshes daily (DESIGN §3.4): most Macs within the last day, offline ones older.
        const lastInventory = seedNow.getTime() - Math.floor(rng.chance(0.9) ? rng.next() * 0.95 * DAY : (1 + rng.next() * 20) * DAY);
        const r = insertComputer.run(
          spec.udid,
          spec.serialNumber,
          spec.deviceName,
          spec.model.identifier,
          spec.model.name,
          spec.model.identifier,
          spec.os.version,
          spec.os.build,
          architectureOf(spec),
          enrolledAt,
          lastCheckin,
          lastInventory,
          lastInventory,
          hex(`token-${i}`),
          hex(`magic-${i}`, 16).toUpperCase(),
          topic,
          sha,
          enrolledAt,
          lastCheckin,
        );
        const computerId = Number(r.lastInsertRowid);
        for (const app of spec.apps) insertApp.run(computerId, app.identifier ?? null, app.name, app.version, app.shortVersion, app.bundleSize);

        const signer = createMdmSigner({ privateKey: issuer.privateKey, certificateDer });
        const idleBody = encodeBody(idleReport(spec.udid));
        const line: FleetLine = { udid: spec.udid, cert: certificateDer.toString("base64"), idleBody: idleBody.toString("utf8"), idleSig: signer(idleBody, seedNow) };
        if (rngFor(seed, "queued", i).chance(options.queuedShare)) {
          const uuid = seededCommandUuid(i);
          insertCommand.run(uuid, computerId, payload, ++seq, seedNow.getTime());
          const ackBody = encodeBody({ UDID: spec.udid, CommandUUID: uuid, Status: "Acknowledged", QueryResponses: deviceInformationAnswer(spec) });
          line.ackUuid = uuid;
          line.ackBody = ackBody.toString("utf8");
          line.ackSig = signer(ackBody, seedNow);
          queued++;
        }
        lines.push(line);
      }
    })();
    if ((start / BATCH) % 10 === 9) log(`seed: ${start + BATCH} Macs`);
  }

  log("seed: smart groups and their membership…");
  const groups = generateSmartGroups(seed, options.groups);
  deps.db.transaction((tx) => {
    for (const g of groups) {
      tx.insert(smartGroups).values({ id: g.id, name: g.name, description: "bench", createdAt: seedNow, updatedAt: seedNow }).run();
      g.criteria.forEach((c, position) =>
        tx
          .insert(smartGroupCriteria)
          .values({ smartGroupId: g.id, position, joiner: c.joiner ?? "and", openParen: c.openParen ?? false, field: c.field, operator: c.operator, value: c.value, closeParen: c.closeParen ?? false })
          .run(),
      );
    }
  });
  const membership = recalculateSmartGroups(deps);

  log("seed: deployments…");
  const titles = deps.db.select().from(catalogTitles).all();
  const versions = deps.db.select().from(catalogVersions).all();
  const drng = rngFor(seed, "deployments");
  // A skewed title choice: popular titles get several App Installers, so conflicts (precedence) happen.
  const weightedTitles = titles.map((t, i) => ({ value: t, weight: 1 / (1 + i * 0.15) }));
  let pairs = 0;
  deps.db.transaction((tx) => {
    for (let i = 0; i < options.deployments; i++) {
      const title = drng.weighted(weightedTitles);
      const groupId = drng.int(1, groups.length);
      const manual = drng.chance(0.3);
      const titleVersions = versions.filter((v) => v.titleId === title.id);
      tx.insert(deployments)
        .values({
          name: `Bench ${i + 1}: ${title.name}`,
          titleId: title.id,
          smartGroupId: groupId,
          distributionMethod: drng.chance(0.75) ? "install_automatically" : "self_service",
          updateMethod: manual ? "manual" : "automatic",
          version: manual ? drng.pick(titleVersions).version : null,
          installSupportingProfiles: false,
          enabled: true,
          createdAt: seedNow,
          updatedAt: seedNow,
        })
        .run();
      pairs += membership.get(groupId)?.size ?? 0;
    }
  });

  // The identity of Mac 0 must pass Pomona's own verifier, and its hash must be the one bound.
  const first = lines[0];
  if (first) {
    const check = await verifyMdmSignature(Buffer.from(first.idleBody), first.idleSig, ca.certificatePem, seedNow);
    if (!check.ok) throw new Error(`seed: Pomona refuses the bench identity: ${check.reason}`);
    const bound = sqlite.prepare("select identity_cert_sha256 as sha from computers where udid = ?").get(first.udid) as { sha: string };
    if (bound.sha !== check.certificateSha256) throw new Error("seed: bound identity hash differs from the signer's");
  }

  sqlite.pragma("wal_checkpoint(TRUNCATE)");
  sqlite.close();
  removeDb(target);
  fs.renameSync(tmp, target);
  removeDb(tmp);

  const meta: FleetMeta = {
    seedVersion: SEED_VERSION,
    macs,
    seed,
    seedNow: seedNow.toISOString(),
    leafPrivateKeyPem: leafKey.privateKey,
    caCertificatePem: ca.certificatePem,
    allMacsGroupId: 1,
    queued,
    membershipPairs: pairs,
    seedSeconds: (performance.now() - started) / 1000,
  };
  writeFleet(macs, meta, lines);
  log(`seed: done in ${meta.seedSeconds.toFixed(1)} s (${fs.statSync(target).size >> 20} MiB, ${queued} queued commands, ${pairs} deployment×computer pairs)`);
  return meta;
}

/** The snapshot for `macs`, seeded once and reused by every later run. */
export async function ensureSnapshot(macs: number, seed: number, options: { groups: number; deployments: number; queuedShare: number; log?: (line: string) => void }): Promise<FleetMeta> {
  if (fs.existsSync(snapshotPath(macs)) && fleetExists(macs)) {
    const meta = readFleetMeta(macs);
    if (meta.seedVersion === SEED_VERSION && meta.macs === macs && meta.seed === seed) return meta;
  }
  for (const f of [fleetPath(macs), fleetMetaPath(macs)]) fs.rmSync(f, { force: true });
  return seedSnapshot(macs, seed, options);
}

if (process.argv[1]?.endsWith("seed.ts")) {
  const arg = process.argv.indexOf("--macs");
  const macs = arg > 0 ? Number(process.argv[arg + 1]) : 10_000;
  const config = configFor("smoke", { macs });
  await ensureSnapshot(macs, config.seed, { groups: config.smartGroups, deployments: config.deployments, queuedShare: config.queuedShare });
}

// `npm run crashtest [-- --rounds 20 --devices 12]`: runs Pomona's /mdm server under load from virtual
// Macs and an admin queueing commands, kills it with SIGKILL at random moments, restarts it, and checks
// after every kill that nothing acknowledged was lost (reliability-security.md §3).
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { createFleet } from "../simulator/fleet";
import { SYSTEM } from "@/server/auth/actor";
import { createDeps } from "@/server/deps";
import { parseEnv } from "@/server/env.js";
import { silentLogger } from "@/server/log";
import { syncCatalog } from "@/server/services/catalog";
import { createDeployment } from "@/server/services/deployments";
import { createEnrollmentToken } from "@/server/services/enrollment";
import { ensureDeviceCa } from "@/server/services/pki";
import { createSmartGroup } from "@/server/services/smart-groups";
import { createDb } from "@/db/client";
import { catalogTitles } from "@/db/schema";

const arg = (name: string, fallback: number) => (process.argv.includes(`--${name}`) ? Number(process.argv[process.argv.indexOf(`--${name}`) + 1]) : fallback);
const ROUNDS = arg("rounds", 20);
const DEVICES = arg("devices", 12);
const PORT = arg("port", 3390);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pomona-crash-"));
const dbFile = path.join(dir, "pomona.db");
const server = `http://127.0.0.1:${PORT}`;
const childEnv = { ...process.env, POMONA_DB: dbFile, PORT: String(PORT), POMONA_DEMO: "0", POMONA_PUBLIC_URL: server, POMONA_CLOCK: "system" };

// --- seed: a catalog, a group of every Mac, two App Installers, an enrollment token ---------------------
const seedDeps = createDeps({ env: parseEnv(childEnv), log: silentLogger });
ensureDeviceCa(seedDeps);
await syncCatalog(seedDeps);
const everyone = createSmartGroup(seedDeps, { name: "Every Mac", criteria: [] }, SYSTEM);
for (const bundleId of ["com.google.Chrome", "com.tinyspeck.slackmacgap"]) {
  const title = seedDeps.db.select().from(catalogTitles).all().find((t) => t.bundleId === bundleId)!;
  await createDeployment(seedDeps, { name: title.name, titleId: title.id, smartGroupId: everyone.id, distributionMethod: "install_automatically", updateMethod: "automatic" }, SYSTEM);
}
const { token } = createEnrollmentToken(seedDeps, { label: "crashtest" }, SYSTEM);
seedDeps.db.$client.close();

// --- the server process -------------------------------------------------------------------------------
function startServer(): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/crash-server.ts"], { env: childEnv, stdio: ["ignore", "ignore", "inherit", "ipc"] });
    child.once("message", (m) => (m === "ready" ? resolve(child) : reject(new Error(`unexpected message from the server: ${JSON.stringify(m)}`))));
    child.once("exit", (code) => reject(new Error(`server exited with ${code} before it was ready`)));
  });
}
const killed = (child: ChildProcess) => new Promise<void>((resolve) => child.once("exit", () => resolve()));

// --- what clients were told: admin commands acknowledged, reports answered 200 --------------------------
const acknowledgedCommands = new Set<string>();
const answeredReports = new Map<string, string>(); // CommandUUID → Status the Mac reported and got 200 for
const recordingFetch: typeof fetch = async (input, init) => {
  const res = await fetch(input, init);
  const body = init?.body;
  if (res.status === 200 && init?.method === "PUT" && (typeof body === "string" || body instanceof Uint8Array)) {
    const text = typeof body === "string" ? body : Buffer.from(body).toString();
    const uuid = /<key>CommandUUID<\/key>\s*<string>([^<]+)<\/string>/.exec(text)?.[1];
    const status = /<key>Status<\/key>\s*<string>([^<]+)<\/string>/.exec(text)?.[1];
    if (uuid && status && status !== "Idle") answeredReports.set(uuid, status);
  }
  return res;
};

let adminRunning = true;
async function adminLoad() {
  while (adminRunning) {
    const id = 1 + Math.floor(Math.random() * DEVICES);
    try {
      const res = await fetch(`${server}/admin/inventory/${id}`, { method: "POST" });
      if (res.status === 200) for (const uuid of (await res.json()) as string[]) acknowledgedCommands.add(uuid);
    } catch {
      // the server is down between a kill and its restart: nothing was acknowledged
    }
    await new Promise((r) => setTimeout(r, 40));
  }
}

// --- the checks after every kill ----------------------------------------------------------------------
const TERMINAL: Record<string, string> = { Acknowledged: "acknowledged", Error: "error", CommandFormatError: "command_format_error" };
function check(round: number): string[] {
  const db = createDb(dbFile);
  const c = db.$client;
  const problems: string[] = [];
  const integrity = c.pragma("integrity_check", { simple: true });
  if (integrity !== "ok") problems.push(`integrity_check: ${String(integrity)}`);
  if ((c.pragma("foreign_key_check") as unknown[]).length > 0) problems.push("foreign_key_check found orphans");
  const rows = new Map((c.prepare("select uuid, status, completed_at, not_now_count from commands").all() as { uuid: string; status: string; completed_at: number | null; not_now_count: number }[]).map((r) => [r.uuid, r]));
  for (const uuid of acknowledgedCommands) if (!rows.has(uuid)) problems.push(`admin command ${uuid} acknowledged but lost`);
  for (const [uuid, status] of answeredReports) {
    const row = rows.get(uuid);
    if (!row) problems.push(`report on ${uuid} answered 200 but the command is gone`);
    else if (status === "NotNow" ? row.not_now_count < 1 && !["acknowledged", "error", "command_format_error"].includes(row.status) : row.status !== TERMINAL[status]) {
      problems.push(`report ${status} on ${uuid} answered 200 but the command is ${row.status}`);
    }
  }
  for (const row of rows.values()) {
    const terminal = ["acknowledged", "error", "command_format_error", "canceled"].includes(row.status);
    if (terminal !== (row.completed_at !== null)) problems.push(`command ${row.uuid} is ${row.status} with completed_at ${row.completed_at}`);
  }
  // Every acknowledged admin action has exactly one audit row, and no audit row outlived its change.
  const audited = new Map<string, number>();
  for (const r of c.prepare("select changes from audit_log where action = 'computer.inventory_requested'").all() as { changes: string }[]) {
    for (const uuid of (JSON.parse(r.changes) as { commands: string[] }).commands) audited.set(uuid, (audited.get(uuid) ?? 0) + 1);
  }
  for (const uuid of acknowledgedCommands) if (audited.get(uuid) !== 1) problems.push(`admin command ${uuid} acknowledged with ${audited.get(uuid) ?? 0} audit rows`);
  for (const uuid of audited.keys()) if (!rows.has(uuid)) problems.push(`audit row for ${uuid} but no such command`);
  const doubled = c.prepare("select computer_id, count(*) n from commands where is_install = 1 and sent_at is not null and released_at is null group by computer_id having n > 1").all();
  if (doubled.length > 0) problems.push(`two installs in flight on ${doubled.length} Mac(s)`);
  c.close();
  if (problems.length) console.error(`round ${round}:\n  ${problems.join("\n  ")}`);
  return problems;
}

// --- run ----------------------------------------------------------------------------------------------
let child = await startServer();
const fleet = createFleet({ server, token, devices: DEVICES, seed: 99, pollIntervalMs: 300, installDurationMs: [20, 80], notNowRate: 0.2, failureRate: 0.1, fetch: recordingFetch, warn: () => {} });
await fleet.start();
const admin = adminLoad();
let violations = 0;
const started = performance.now();
for (let round = 1; round <= ROUNDS; round++) {
  await new Promise((r) => setTimeout(r, 300 + Math.random() * 1200));
  const exit = killed(child);
  child.kill("SIGKILL");
  await exit;
  violations += check(round).length;
  process.stdout.write(`\rround ${round}/${ROUNDS}: ${acknowledgedCommands.size} admin commands, ${answeredReports.size} reports checked, ${violations} violations`);
  child = await startServer();
}
adminRunning = false;
await admin;
await fleet.stop();
const exit = killed(child);
child.kill("SIGKILL");
await exit;
violations += check(ROUNDS + 1).length;
const stats = fleet.stats();
console.log(
  `\ncrashtest: ${ROUNDS} SIGKILL rounds in ${((performance.now() - started) / 1000).toFixed(1)} s; ${acknowledgedCommands.size} admin-acknowledged commands (each with its one audit row) and ${answeredReports.size} reports answered 200, all found; ${stats.installsDone} installs done by ${stats.enrolled} Macs; integrity ok; ${violations} violations`,
);
fs.rmSync(dir, { recursive: true, force: true });
console.log(`${ROUNDS - (violations > 0 ? 1 : 0)} passed, ${violations > 0 ? 1 : 0} failed`);
process.exit(violations > 0 ? 1 : 0);

// npm run simulate -- --server http://127.0.0.1:3000 --token T --devices N [--seed S] [--offline-rate r]
//   [--failure-rate r] [--notnow-rate r] [--poll-interval seconds] …
// Runs a virtual Mac fleet against Pomona with a live one-line summary; Ctrl-C stops it cleanly.
import { parseArgs } from "node:util";

import { createFleet, type FleetStats } from "./fleet";

const USAGE = `Usage: npm run simulate -- --token <enrollment token> [options]

  --server <url>            Pomona's URL (default http://127.0.0.1:3000, or $POMONA_URL)
  --token <token>           enrollment token (or $POMONA_ENROLL_TOKEN)
  --devices <n>             number of virtual Macs (default 10)
  --seed <n>                seed: the same seed gives the same fleet (default 1)
  --offline-rate <r>        share offline at any moment, in rotating windows (default 0)
  --offline-window <s>      length of an offline window in seconds (default 600)
  --holiday-rate <r>        share away on holiday (default 0)
  --holiday-hours <h>       length of a holiday (default 24)
  --failure-rate <r>        chance that a package download fails (default 0)
  --notnow-rate <r>         chance per poll that a Mac is locked: installs get NotNow (default 0)
  --open-app-rate <r>       chance that an app being updated is open (default 0.15)
  --poll-interval <s>       each Mac also polls on its own this often (default 60; 0 = push only)
  --install-seconds <a-b>   install duration range in seconds (default 2-6)
  --verbose                 print what each Mac does
  --help                    this text
`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}`);
  process.exit(2);
}

function rate(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) fail(`--${name} must be a number between 0 and 1`);
  return n;
}

function positive(name: string, value: string | undefined, integer = false): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) fail(`--${name} must be a ${integer ? "whole " : ""}number ≥ 0`);
  return n;
}

function range(name: string, value: string | undefined): [number, number] | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))?$/.exec(value);
  if (!m) fail(`--${name} takes seconds, as "3" or "2-6"`);
  const a = Number(m[1]) * 1000;
  const b = m[2] === undefined ? a : Number(m[2]) * 1000;
  return [Math.min(a, b), Math.max(a, b)];
}

function summary(s: FleetStats): string {
  const parts = [
    `enrolled ${s.enrolled}/${s.devices}${s.enrollFailed ? ` (${s.enrollFailed} failed)` : ""}`,
    `polls ${s.polls}`,
    `commands ${s.commands}${s.notNow || s.errors ? ` (NotNow ${s.notNow}, Error ${s.errors})` : ""}`,
    `installs ${s.installsDone} done / ${s.installsFailed} failed${s.installsLost ? ` / ${s.installsLost} lost` : ""}${s.installingNow ? `, ${s.installingNow} running` : ""}`,
    `pushes ${s.pushesReceived}${s.pushesDeferred ? ` (${s.pushesDeferred} while offline)` : ""}`,
    `offline ${s.offlineNow}`,
  ];
  if (s.rejected) parts.push(`refused ${s.rejected}`);
  if (s.networkErrors) parts.push(`network errors ${s.networkErrors}`);
  return parts.join(" · ");
}

async function main() {
  let args;
  try {
    args = parseArgs({
      options: {
        server: { type: "string" },
        token: { type: "string" },
        devices: { type: "string" },
        seed: { type: "string" },
        "offline-rate": { type: "string" },
        "offline-window": { type: "string" },
        "holiday-rate": { type: "string" },
        "holiday-hours": { type: "string" },
        "failure-rate": { type: "string" },
        "notnow-rate": { type: "string" },
        "open-app-rate": { type: "string" },
        "poll-interval": { type: "string" },
        "install-seconds": { type: "string" },
        verbose: { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    fail((e as Error).message);
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return;
  }
  const server = args.server ?? process.env.POMONA_URL ?? "http://127.0.0.1:3000";
  const token = args.token ?? process.env.POMONA_ENROLL_TOKEN;
  if (!token) fail("--token is required (an enrollment token from Pomona's Settings, or POMONA_ENROLL_TOKEN)");
  try {
    new URL(server);
  } catch {
    fail(`--server ${JSON.stringify(server)} is not a URL`);
  }
  const devices = positive("devices", args.devices, true) ?? 10;
  if (devices < 1) fail("--devices must be at least 1");
  const pollInterval = positive("poll-interval", args["poll-interval"]);
  const offlineWindow = positive("offline-window", args["offline-window"]);
  const holidayHours = positive("holiday-hours", args["holiday-hours"]);

  const tty = process.stdout.isTTY;
  let line = "";
  const draw = (text: string) => {
    line = text;
    if (tty) process.stdout.write(`\r\x1b[2K${text}`);
  };
  const print = (text: string) => {
    if (tty) process.stdout.write(`\r\x1b[2K${text}\n${line}`);
    else process.stdout.write(`${text}\n`);
  };

  const fleet = createFleet({
    server,
    token,
    devices,
    seed: positive("seed", args.seed, true),
    offlineRate: rate("offline-rate", args["offline-rate"]),
    offlineWindowMs: offlineWindow === undefined ? undefined : offlineWindow * 1000,
    holidayRate: rate("holiday-rate", args["holiday-rate"]),
    holidayMs: holidayHours === undefined ? undefined : holidayHours * 3_600_000,
    failureRate: rate("failure-rate", args["failure-rate"]),
    notNowRate: rate("notnow-rate", args["notnow-rate"]),
    openAppRate: rate("open-app-rate", args["open-app-rate"]),
    pollIntervalMs: pollInterval === undefined ? undefined : pollInterval * 1000,
    installDurationMs: range("install-seconds", args["install-seconds"]),
    log: args.verbose ? print : undefined,
    warn: print,
  });

  print(`Pomona virtual fleet: ${devices} Macs against ${server} (seed ${args.seed ?? 1}). Ctrl-C stops.`);
  let lastPrinted = "";
  const refresh = setInterval(
    () => {
      const text = summary(fleet.stats());
      if (tty) draw(text);
      else if (text !== lastPrinted) {
        lastPrinted = text;
        print(text);
      }
    },
    tty ? 250 : 5000,
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      process.stdout.write("\nForced exit.\n");
      process.exit(130);
    }
    stopping = true;
    clearInterval(refresh);
    if (tty) process.stdout.write("\r\x1b[2K");
    process.stdout.write(`${signal}: stopping the fleet…\n`);
    await fleet.stop();
    process.stdout.write(`Final: ${summary(fleet.stats())}\n`);
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("Interrupted"));
  process.on("SIGTERM", () => void shutdown("Terminated"));

  await fleet.start();
  const s = fleet.stats();
  if (s.enrolled === 0 && !stopping) {
    clearInterval(refresh);
    await fleet.stop();
    process.stdout.write(`${tty ? "\r\x1b[2K" : ""}No Mac could enroll (see the errors above). Is Pomona running at ${server}, and is the token valid?\n`);
    process.exit(1);
  }
  if (!stopping) print(`Enrolled ${s.enrolled} of ${s.devices} Macs; wake server ${fleet.wakeUrl}.`);
}

main().catch((e: unknown) => {
  process.stderr.write(`simulator failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});

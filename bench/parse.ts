// G7: parsing on the hot path. Pomona's decoders (server/mdm/messages.ts: prechecks + plist + normalise +
// zod) against B2 (plist.parse alone) on the fixtures a Mac sends: Idle, a DeviceInformation answer, a
// TokenUpdate, and a full InstalledApplicationList of a Mac with ~250 apps (about 66 KB).
import { performance } from "node:perf_hooks";

import { generateMacSpecs } from "../simulator/catalog";
import { encodePlist, type PlistInputDict } from "../simulator/plist";

import { decodeCheckin, decodeReport } from "@/server/mdm/messages";

import { referenceParse } from "./baselines/b2-plist";
import { deviceInformationAnswer, idleReport } from "./fleet";

export type ParseFixture = { name: string; text: string; kind: "report" | "checkin" };

export function parseFixtures(seed: number): ParseFixture[] {
  const specs = generateMacSpecs(seed, 12);
  const spec = specs[0]!;
  const udid = spec.udid;
  const all: PlistInputDict[] = [];
  specs.forEach((s, n) =>
    s.apps.forEach((a) =>
      all.push({ Identifier: `${a.identifier ?? "com.example.app"}.${n}`, Name: `${a.name} ${n}`, ShortVersion: a.shortVersion, Version: a.version, BundleSize: a.bundleSize, Installing: false }),
    ),
  );
  const apps: PlistInputDict[] = [];
  for (const app of all) {
    if (apps.length % 10 === 0 && encodePlist({ InstalledApplicationList: apps }).length >= 66_000) break;
    apps.push(app);
  }
  return [
    { name: "Idle (report)", kind: "report", text: encodePlist(idleReport(udid)) },
    { name: "DeviceInformation answer", kind: "report", text: encodePlist({ UDID: udid, CommandUUID: "6A1E1C3B-5B7E-4C51-9E0A-3D9F8A6B2C11", Status: "Acknowledged", QueryResponses: deviceInformationAnswer(spec) }) },
    {
      name: "TokenUpdate (check-in)",
      kind: "checkin",
      text: encodePlist({ MessageType: "TokenUpdate", Topic: "com.apple.mgmt.External.bench", UDID: udid, Token: Buffer.alloc(32, 7), PushMagic: "F00D-BEEF", AwaitingConfiguration: false }),
    },
    { name: `InstalledApplicationList (${apps.length} apps)`, kind: "report", text: encodePlist({ UDID: udid, CommandUUID: "6A1E1C3B-5B7E-4C51-9E0A-3D9F8A6B2C12", Status: "Acknowledged", InstalledApplicationList: apps }) },
  ];
}

/** µs per call of `a` and `b`, timed in alternating rounds (both see the same background load); best round each. */
function timePair(a: () => unknown, b: () => unknown, minMs: number, rounds = 10): [number, number] {
  for (let i = 0; i < 20; i++) {
    a();
    b();
  }
  const best = [Infinity, Infinity];
  for (let r = 0; r < rounds; r++) {
    [a, b].forEach((fn, k) => {
      let n = 0;
      const t0 = performance.now();
      let t = t0;
      while (t - t0 < minMs / rounds / 2) {
        fn();
        n++;
        t = performance.now();
      }
      best[k] = Math.min(best[k]!, ((t - t0) / n) * 1000);
    });
  }
  return [best[0]!, best[1]!];
}

/** Keys sorted, <data> as base64 (Pomona's normal form), dates as ISO: the two decoders' values compare structurally. */
function canonicalValue(v: unknown): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v).toString("base64");
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(canonicalValue);
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(o)
        .sort()
        .map((k) => [k, canonicalValue(o[k])]),
    );
  }
  return v;
}
const canonical = (v: unknown) => JSON.stringify(canonicalValue(v));

export type ParseRow = { name: string; bytes: number; oursUs: number; plistUs: number; equal: boolean };

export function measureParsing(seed: number, minMs: number): ParseRow[] {
  return parseFixtures(seed).map((f) => {
    const ours = () => {
      const r = f.kind === "checkin" ? decodeCheckin(f.text) : decodeReport(f.text);
      if (!r.ok) throw new Error(`${f.name}: ${r.reason}`);
      return r.message;
    };
    const equal = canonical(ours()) === canonical(referenceParse(f.text));
    const [oursUs, plistUs] = timePair(ours, () => referenceParse(f.text), minMs);
    return { name: f.name, bytes: Buffer.byteLength(f.text), oursUs, plistUs, equal };
  });
}

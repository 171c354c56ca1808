// The virtual fleet as the load generator sees it: per Mac its UDID, its identity certificate and the
// signed bodies whose content never changes (Idle, and the answer to the one DeviceInformation the
// snapshot queued for some Macs). Bodies are XML plists written by the virtual Mac's own codec
// (simulator/plist.ts) and signed exactly as a Mac signs them (simulator/signing.ts, node:crypto).
import { createHash, createPrivateKey, type KeyObject } from "node:crypto";
import fs from "node:fs";

import type { MacSpec } from "../simulator/catalog";
import { encodePlist, type PlistInputDict } from "../simulator/plist";
import { createMdmSigner, type MdmSigner } from "../simulator/signing";

import { fleetMetaPath, fleetPath } from "./config";

export const CHECKIN_CONTENT_TYPE = "application/x-apple-aspen-mdm-checkin";
export const REPORT_CONTENT_TYPE = "application/x-apple-aspen-mdm";

export type FleetMeta = {
  seedVersion: number;
  macs: number;
  seed: number;
  /** The instant the snapshot was seeded: signing time of precomputed signatures, "now" of G4/G5. */
  seedNow: string;
  leafPrivateKeyPem: string;
  caCertificatePem: string;
  allMacsGroupId: number;
  queued: number;
  /** Smart group members and (deployment, computer) pairs at seed time, for the report. */
  membershipPairs: number;
  seedSeconds: number;
};

/** One line of the fleet file. */
export type FleetLine = { udid: string; cert: string; idleBody: string; idleSig: string; ackUuid?: string; ackBody?: string; ackSig?: string };

export type FleetMac = {
  index: number;
  udid: string;
  certificateDer: Buffer;
  idle: { body: Buffer; signature: string };
  /** The precomputed answer to the queued DeviceInformation, if the snapshot queued one. */
  ack?: { uuid: string; body: Buffer; signature: string };
};

export type Fleet = { meta: FleetMeta; macs: FleetMac[]; privateKey: KeyObject };

/** The CommandUUID the seed gives Mac `index`'s queued DeviceInformation. */
export function seededCommandUuid(index: number): string {
  const h = createHash("sha256").update(`pomona-bench-command-${index}`).digest("hex").toUpperCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export const idleReport = (udid: string): PlistInputDict => ({ Status: "Idle", UDID: udid });

/** DeviceInformation's answer, as simulator/mac.ts builds it for the keys Pomona asks for. */
export function deviceInformationAnswer(spec: MacSpec): PlistInputDict {
  const answers: PlistInputDict = {
    DeviceName: spec.deviceName,
    OSVersion: spec.os.version,
    BuildVersion: spec.os.build,
    Model: spec.model.identifier,
    ModelName: spec.model.name,
    ProductName: spec.model.identifier,
    SerialNumber: spec.serialNumber,
  };
  if (Number(spec.os.version.split(".")[0]) >= 12) answers.IsAppleSilicon = spec.model.architecture === "arm64";
  return answers;
}

export const encodeBody = (report: PlistInputDict) => Buffer.from(encodePlist(report), "utf8");

export function writeFleet(macs: number, meta: FleetMeta, lines: FleetLine[]) {
  fs.writeFileSync(fleetPath(macs), `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`);
  fs.writeFileSync(fleetMetaPath(macs), JSON.stringify(meta, null, 2));
}

export function fleetExists(macs: number) {
  return fs.existsSync(fleetPath(macs)) && fs.existsSync(fleetMetaPath(macs));
}

export function readFleetMeta(macs: number): FleetMeta {
  return JSON.parse(fs.readFileSync(fleetMetaPath(macs), "utf8")) as FleetMeta;
}

export function loadFleet(macs: number): Fleet {
  const meta = readFleetMeta(macs);
  const text = fs.readFileSync(fleetPath(macs), "utf8");
  const out: FleetMac[] = [];
  let index = 0;
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const l = JSON.parse(line) as FleetLine;
    const mac: FleetMac = { index, udid: l.udid, certificateDer: Buffer.from(l.cert, "base64"), idle: { body: Buffer.from(l.idleBody, "utf8"), signature: l.idleSig } };
    if (l.ackUuid && l.ackBody && l.ackSig) mac.ack = { uuid: l.ackUuid, body: Buffer.from(l.ackBody, "utf8"), signature: l.ackSig };
    out.push(mac);
    index++;
  }
  return { meta, macs: out, privateKey: createPrivateKey(meta.leafPrivateKeyPem) };
}

const signers = new WeakMap<FleetMac, MdmSigner>();

/** Signs a body for this Mac now (per request, as a Mac does for every body that is not precomputed). */
export function signFor(fleet: Fleet, mac: FleetMac, body: Buffer): string {
  let signer = signers.get(mac);
  if (!signer) {
    signer = createMdmSigner({ privateKey: fleet.privateKey, certificateDer: mac.certificateDer });
    signers.set(mac, signer);
  }
  return signer(body);
}

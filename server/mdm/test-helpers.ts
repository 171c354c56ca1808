// Helpers for MDM endpoint tests: fixtures, a whole-database snapshot, and a plist-speaking fake Mac.
import fs from "node:fs";
import path from "node:path";

import type { Deps } from "@/server/deps";

import { CHECKIN_CONTENT_TYPE, handleMdmRequest } from "./endpoint";
import type { MdmHttpResult } from "./http-result";
import { decodePlist, encodePlist, type PlistInput, type PlistValue } from "./plist";

export const TESTDATA = path.join(import.meta.dirname, "testdata");
export const FIXTURE_UDID = "5C1D2E3F-0000-5A5A-9B9B-00112233AABB";

export function fixture(name: string): string {
  return fs.readFileSync(path.join(TESTDATA, name), "utf8");
}

/** Every row of every table, as one string: equal snapshots mean "nothing changed". */
export function snapshotDb(deps: Pick<Deps, "db">): string {
  const c = deps.db.$client;
  const tables = c.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name").pluck().all() as string[];
  return JSON.stringify(tables.map((t) => [t, c.prepare(`select * from "${t}"`).all()]));
}

export function countRows(deps: Pick<Deps, "db">, table: string, where = "1 = 1"): number {
  return deps.db.$client.prepare(`select count(*) from "${table}" where ${where}`).pluck().get() as number;
}

export async function putCheckin(deps: Deps, body: string | PlistInput, signature?: string): Promise<MdmHttpResult> {
  const text = typeof body === "string" ? body : encodePlist(body);
  return handleMdmRequest(deps, { method: "PUT", contentType: CHECKIN_CONTENT_TYPE, body: Buffer.from(text), signature });
}

export async function putReport(deps: Deps, body: string | PlistInput, signature?: string): Promise<MdmHttpResult> {
  const text = typeof body === "string" ? body : encodePlist(body);
  return handleMdmRequest(deps, { method: "PUT", contentType: "application/x-apple-aspen-mdm", body: Buffer.from(text), signature });
}

export type SentCommand = { CommandUUID: string; Command: { RequestType: string } & Record<string, PlistValue> };

/** The command in a 200 answer, or undefined for an empty body. */
export function commandIn(result: MdmHttpResult): SentCommand | undefined {
  if (result.status !== 200) throw new Error(`expected 200, got ${result.status}: ${String(result.body)}`);
  if (result.body === undefined || result.body.length === 0) return undefined;
  return decodePlist(result.body.toString()) as unknown as SentCommand;
}

/** A fake Mac for endpoint tests, speaking Apple's keys (no signatures: POMONA_DEVICE_AUTH=none). */
export function fakeMac(deps: Deps, udid: string, facts: { model?: string; osVersion?: string; name?: string } = {}) {
  const base = { UDID: udid, Topic: "com.apple.mgmt.External.test" };
  return {
    udid,
    authenticate: () =>
      putCheckin(deps, { ...base, MessageType: "Authenticate", DeviceName: facts.name ?? `Mac ${udid}`, Model: facts.model ?? "Mac14,2", ModelName: "MacBook Air", OSVersion: facts.osVersion ?? "14.5", BuildVersion: "23F79", SerialNumber: `SER${udid.slice(0, 8)}` }),
    tokenUpdate: () => putCheckin(deps, { ...base, MessageType: "TokenUpdate", Token: Buffer.alloc(32, 7), PushMagic: `magic-${udid}` }),
    checkOut: () => putCheckin(deps, { ...base, MessageType: "CheckOut" }),
    idle: () => putReport(deps, { UDID: udid, Status: "Idle" }),
    report: (CommandUUID: string, Status: string, extra: Record<string, PlistInput> = {}) => putReport(deps, { UDID: udid, Status, CommandUUID, ...extra }),
    async enroll() {
      expect200(await this.authenticate());
      expect200(await this.tokenUpdate());
    },
  };
}

function expect200(r: MdmHttpResult) {
  if (r.status !== 200) throw new Error(`expected 200, got ${r.status}: ${String(r.body)}`);
}

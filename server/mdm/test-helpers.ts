// Helpers for MDM endpoint tests: fixtures, a whole-database snapshot, and a plist-speaking fake Mac.
import fs from "node:fs";
import path from "node:path";

import type { Deps } from "@/server/deps";

import { CHECKIN_CONTENT_TYPE, handleMdmRequest } from "./endpoint";
import { routeMdmGet } from "./http";
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

/** "silent": the Mac takes the install and never answers (it crashed, or lost the network mid-session). */
export type InstallBehaviour = "install" | "installing" | "error" | "notnow" | "ignore" | "silent";

/**
 * A Mac that answers every command as a real one would, scriptable per test: what it has installed, how it
 * answers installs, whether it is online. It speaks only plists through handleMdmRequest.
 */
export class ScriptedMac {
  apps = new Map<string, { name: string; shortVersion: string; installing: boolean }>();
  online = true;
  onInstall: InstallBehaviour = "install";
  installError = "Package signature cannot be verified";
  received: string[] = [];
  profiles: string[] = [];
  readonly mac: ReturnType<typeof fakeMac>;

  constructor(
    readonly deps: Deps,
    readonly udid: string,
    readonly facts: { osVersion: string; model: string; appleSilicon: boolean; name?: string },
  ) {
    this.mac = fakeMac(deps, udid, { model: facts.model, osVersion: facts.osVersion, name: facts.name });
  }

  async enroll() {
    await this.mac.enroll();
    await this.poll();
  }

  /** One check-in session: Idle, then answer commands until the queue is empty. */
  async poll(): Promise<void> {
    if (!this.online) return;
    let cmd = commandIn(await this.mac.idle());
    while (cmd) {
      if (cmd.Command.RequestType === "InstallEnterpriseApplication" && this.onInstall === "silent") {
        this.received.push(cmd.Command.RequestType);
        return; // the session ends without a report
      }
      cmd = commandIn(await this.answer(cmd));
    }
  }

  private async answer(cmd: SentCommand): Promise<MdmHttpResult> {
    const type = cmd.Command.RequestType;
    this.received.push(type);
    switch (type) {
      case "DeviceInformation":
        return this.mac.report(cmd.CommandUUID, "Acknowledged", {
          QueryResponses: { OSVersion: this.facts.osVersion, Model: this.facts.model, DeviceName: this.facts.name ?? `Mac ${this.udid}`, IsAppleSilicon: this.facts.appleSilicon },
        });
      case "InstalledApplicationList": {
        const ids = cmd.Command.Identifiers as string[] | undefined;
        const list = [...this.apps]
          .filter(([id]) => !ids || ids.includes(id))
          .map(([id, a]) => ({ Identifier: id, Name: a.name, ShortVersion: a.installing ? "0" : a.shortVersion, Version: a.installing ? "0" : a.shortVersion, Installing: a.installing }));
        return this.mac.report(cmd.CommandUUID, "Acknowledged", { InstalledApplicationList: list });
      }
      case "InstallProfile":
        this.profiles.push(cmd.Command.Payload as string);
        return this.mac.report(cmd.CommandUUID, "Acknowledged");
      case "InstallEnterpriseApplication":
        return this.install(cmd);
      default:
        return this.mac.report(cmd.CommandUUID, "Acknowledged");
    }
  }

  private async install(cmd: SentCommand): Promise<MdmHttpResult> {
    switch (this.onInstall) {
      case "notnow":
        return this.mac.report(cmd.CommandUUID, "NotNow");
      case "error":
        return this.mac.report(cmd.CommandUUID, "Error", {
          ErrorChain: [{ ErrorCode: 100, ErrorDomain: "PKInstallErrorDomain", LocalizedDescription: this.installError }],
        });
      case "ignore":
      case "silent":
        return this.mac.report(cmd.CommandUUID, "Acknowledged");
      case "install":
      case "installing": {
        const manifest = this.fetchManifest(cmd.Command.ManifestURL as string);
        this.apps.set(manifest.bundleId, { name: manifest.title, shortVersion: manifest.version, installing: this.onInstall === "installing" });
        return this.mac.report(cmd.CommandUUID, "Acknowledged");
      }
    }
  }

  /** Fetches the manifest from Pomona's own /mdm handler, as the Mac's storedownloadd would. */
  private fetchManifest(url: string) {
    const res = routeMdmGet(this.deps, "GET", new URL(url));
    if (res.status !== 200) throw new Error(`manifest ${url}: ${res.status} ${String(res.body)}`);
    const m = decodePlist(String(res.body)) as { items: { metadata: Record<string, string> }[] };
    const meta = m.items[0]!.metadata;
    return { bundleId: meta["bundle-identifier"]!, version: meta["bundle-version"]!, title: meta.title! };
  }

  /** Finishes an install that was reported as still running. */
  finishInstalling() {
    for (const a of this.apps.values()) a.installing = false;
  }
}

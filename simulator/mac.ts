// A virtual Mac: enrolls with an enrollment profile, signs every request (Mdm-Signature), checks in, polls
// PUT /mdm when pushed and on its own, and answers commands the way macOS does, quirks included
// (mdm-protocol.md §8): one install at a time (a second one is acknowledged and lost), a bad manifest wedges
// the installer until a reboot, NotNow while locked, Installing=true with placeholder versions while an
// install runs, and an app that is open when updated is staged and moved into /Applications when it quits.
import { createHash } from "node:crypto";

import { ALWAYS_ONLINE, type Availability } from "./availability";
import { osMajor, type Architecture, type InstalledApp, type MacSpec } from "./catalog";
import { parseEnrollmentProfile, readProfile, type EnrollmentProfile } from "./profile";
import {
  arrayAt,
  booleanAt,
  dataAt,
  decodePlist,
  dictAt,
  encodePlist,
  integerAt,
  isPlistDict,
  PlistReal,
  stringAt,
  type PlistDict,
  type PlistInputDict,
  type PlistValue,
} from "./plist";
import { rngFor, type Rng } from "./random";
import { createMdmSigner, type MdmSigner } from "./signing";

export const CHECKIN_CONTENT_TYPE = "application/x-apple-aspen-mdm-checkin";
export const REPORT_CONTENT_TYPE = "application/x-apple-aspen-mdm";
const USER_AGENT = "MDM-OSX/1.0 mdmclient/1.0 (Pomona virtual Mac)";
/** A session that goes on longer than this is cut: a server handing out commands forever is a bug. */
const MAX_COMMANDS_PER_SESSION = 500;
const HTTP_TIMEOUT_MS = 30_000;

export type ReportStatus = "Acknowledged" | "Error" | "CommandFormatError" | "NotNow";

export type MacBehaviour = {
  /** Chance that a package download fails (network): Error with a download ErrorChain, no wedge. */
  failureRate: number;
  /** Chance, per poll session, that the Mac is locked or has no user logged in: installs get NotNow. */
  notNowRate: number;
  /** Chance that an app being updated is open: the update is staged and moved when the app quits. */
  openAppRate: number;
  /** How long an install takes (real time), drawn per install. */
  installDurationMs: [min: number, max: number];
  /** How long an open app stays open after its update was staged. */
  appQuitDelayMs: [min: number, max: number];
};

export const DEFAULT_BEHAVIOUR: MacBehaviour = {
  failureRate: 0,
  notNowRate: 0,
  openAppRate: 0,
  installDurationMs: [2_000, 6_000],
  appQuitDelayMs: [5_000, 30_000],
};

export type MacEvent =
  | { type: "enrolled" }
  | { type: "enroll-failed"; reason: string }
  | { type: "request"; kind: "checkin" | "report"; status: number }
  | { type: "session" }
  | { type: "command"; requestType: string; status: ReportStatus }
  | { type: "install-started"; bundleId: string; version: string }
  | { type: "install-done"; bundleId: string; version: string; staged: boolean }
  | { type: "install-failed"; reason: string; wedged: boolean }
  | { type: "install-lost"; reason: "busy" | "wedged" }
  | { type: "push"; deferred: boolean }
  | { type: "push-ignored"; reason: string }
  | { type: "rejected"; kind: "checkin" | "report"; status: number; reason: string }
  | { type: "network-error"; message: string };

export type VirtualMacOptions = {
  spec: MacSpec;
  /** Seeds this Mac's behaviour stream (NotNow, failures, durations, PushMagic). */
  seed?: number;
  behaviour?: Partial<MacBehaviour>;
  availability?: Availability;
  fetch?: typeof fetch;
  /** What the Mac does, line by line. */
  log?: (line: string) => void;
  /** Problems (refused requests, network errors, unreadable commands); defaults to `log`. */
  warn?: (line: string) => void;
  onEvent?: (event: MacEvent) => void;
};

export type AppLocation = "/Applications" | "temporary";

/** An app on the Mac, with what the installer did to it. */
export type AppState = InstalledApp & {
  installing: boolean;
  open: boolean;
  /** Where the current version is: an update of an open app waits in a temporary folder until it quits. */
  location: AppLocation;
  managed: boolean;
};

export type InstalledProfile = { identifier: string; uuid?: string; displayName?: string; payloadTypes: string[]; installedAt: Date };

export type EnrollParams = { server: string; token: string; wakeUrl: string };

type ErrorChainItem = { ErrorCode: number; ErrorDomain: string; LocalizedDescription: string; USEnglishDescription?: string };

type Prepared = { ok: true; bundleId: string; version: string; title: string; sizeBytes: number } | { ok: false; wedge: boolean; reason: string; chain: ErrorChainItem[] };

type InstallJob = { bundleId: string; version: string; done: Promise<void>; release: () => void };

/** A report to PUT: Status, UDID, CommandUUID and the command's answer keys. */
export type Report = PlistInputDict;

export class MacError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "MacError";
  }
}

const chainItem = (code: number, domain: string, text: string): ErrorChainItem => ({ ErrorCode: code, ErrorDomain: domain, LocalizedDescription: text, USEnglishDescription: text });

/** micromdm/micromdm#834: what a Mac answered for a manifest it could not use. */
const manifestInvalid = (detail: string): ErrorChainItem[] => [chainItem(2604, "DeviceManagement.error", "Could not validate manifest."), chainItem(1, "storedownloadd", detail)];
const downloadFailed = (title: string, cause: ErrorChainItem): ErrorChainItem[] => [chainItem(2606, "DeviceManagement.error", `The download of “${title}” failed.`), cause];

export class VirtualMac {
  readonly spec: MacSpec;
  readonly udid: string;
  readonly behaviour: MacBehaviour;

  private readonly rng: Rng;
  private readonly fetchFn: typeof fetch;
  private readonly log: (line: string) => void;
  private readonly warn: (line: string) => void;
  private readonly onEvent: (event: MacEvent) => void;
  private availability: Availability;

  private readonly appList: AppState[];
  private readonly profileMap = new Map<string, InstalledProfile>();
  private job: InstallJob | null = null;
  private wedgedReason: string | null = null;
  private lockedOverride: boolean | undefined;
  private lockedThisSession = false;

  private enrollment: (EnrollmentProfile & { signer: MdmSigner; pushMagic: string; wakeUrl: string }) | null = null;
  private enrolledFlag = false;
  private session: Promise<void> | null = null;
  private pollAgain = false;
  private pendingPush = false;
  private stopped = false;
  private abort = new AbortController();
  private readonly timers = new Set<NodeJS.Timeout>();
  private pollTimer: NodeJS.Timeout | null = null;
  private wakeTimer: NodeJS.Timeout | null = null;

  constructor(options: VirtualMacOptions) {
    this.spec = options.spec;
    this.udid = options.spec.udid;
    this.behaviour = { ...DEFAULT_BEHAVIOUR, ...options.behaviour };
    this.rng = rngFor(options.seed ?? 0, "behaviour", this.udid);
    this.fetchFn = options.fetch ?? fetch;
    this.log = options.log ?? (() => {});
    this.warn = options.warn ?? this.log;
    this.onEvent = options.onEvent ?? (() => {});
    this.availability = options.availability ?? ALWAYS_ONLINE;
    this.appList = options.spec.apps.map((a): AppState => Object.assign({}, a, { installing: false, open: false, location: "/Applications" as const, managed: false }));
  }

  // -------------------------------------------------------------------------------------------------------
  // State
  // -------------------------------------------------------------------------------------------------------

  get architecture(): Architecture {
    return this.spec.model.architecture;
  }

  get osVersion(): string {
    return this.spec.os.version;
  }

  get enrolled(): boolean {
    return this.enrolledFlag;
  }

  /** The PushMagic this Mac sent in TokenUpdate (undefined before enrollment). */
  get pushMagic(): string | undefined {
    return this.enrollment?.pushMagic;
  }

  /** True while a bad manifest has wedged the installer (until reboot()). */
  get installerWedged(): boolean {
    return this.wedgedReason !== null;
  }

  get installing(): boolean {
    return this.job !== null;
  }

  isOffline(nowMs = Date.now()): boolean {
    return this.availability.isOffline(nowMs);
  }

  setAvailability(availability: Availability) {
    this.availability = availability;
  }

  /** Forces the locked / no-user state (true: installs get NotNow); undefined goes back to notNowRate. */
  setLocked(locked: boolean | undefined) {
    this.lockedOverride = locked;
    if (locked !== undefined) this.lockedThisSession = locked;
  }

  /** A snapshot of the apps. */
  apps(): AppState[] {
    return this.appList.map((a) => ({ ...a }));
  }

  app(bundleId: string): AppState | undefined {
    const a = this.appList.find((x) => x.identifier === bundleId);
    return a ? { ...a } : undefined;
  }

  profiles(): InstalledProfile[] {
    return [...this.profileMap.values()].map((p) => Object.assign({}, p, { payloadTypes: [...p.payloadTypes] }));
  }

  /** Opens an installed app (a later update of it is then staged until it quits). */
  openApp(bundleId: string): boolean {
    const a = this.appList.find((x) => x.identifier === bundleId);
    if (!a) return false;
    a.open = true;
    return true;
  }

  /** Quits an app: an update staged in the temporary folder moves into /Applications. */
  quitApp(bundleId: string): boolean {
    const a = this.appList.find((x) => x.identifier === bundleId);
    if (!a) return false;
    this.quit(a);
    return true;
  }

  private quit(a: AppState) {
    a.open = false;
    if (a.location === "temporary") {
      a.location = "/Applications";
      this.log(`${this.label()}: ${a.name} quit; ${a.shortVersion} moved to /Applications`);
    }
  }

  /** Reboots: the installer works again after a bad manifest, and open apps quit (staged updates move). */
  reboot(): void {
    this.wedgedReason = null;
    for (const a of this.appList) this.quit(a);
    this.log(`${this.label()}: rebooted`);
  }

  /** Resolves when the install in progress (if any) has finished. */
  async whenInstallsSettle(): Promise<void> {
    while (this.job) await this.job.done;
  }

  // -------------------------------------------------------------------------------------------------------
  // Commands
  // -------------------------------------------------------------------------------------------------------

  /** The DeviceInformation answers this Mac knows (all of them; a command picks by `Queries`). */
  deviceInformation(): PlistInputDict {
    const s = this.spec;
    const info: PlistInputDict = {
      UDID: s.udid,
      DeviceName: s.deviceName,
      OSVersion: s.os.version,
      BuildVersion: s.os.build,
      Model: s.model.identifier,
      ModelName: s.model.name,
      ProductName: s.model.identifier,
      SerialNumber: s.serialNumber,
      // GB as reals, as macOS sends them.
      DeviceCapacity: new PlistReal(Math.round(s.capacityGb * 0.9657 * 100) / 100),
      AvailableDeviceCapacity: new PlistReal(Math.round(s.capacityGb * 0.9657 * 0.41 * 100) / 100),
      IsSupervised: false,
    };
    // IsAppleSilicon exists from macOS 12; older Macs do not send the key at all.
    if (osMajor(s.os.version) >= 12) info.IsAppleSilicon = s.model.architecture === "arm64";
    return info;
  }

  /** InstalledApplicationList entries; `identifiers` limits them (macOS 10.15+), as the command's key does. */
  installedApplicationList(identifiers?: readonly string[], managedOnly = false): PlistInputDict[] {
    const wanted = identifiers && identifiers.length > 0 ? new Set(identifiers) : undefined;
    return this.appList
      .filter((a) => (!wanted || (a.identifier !== undefined && wanted.has(a.identifier))) && (!managedOnly || a.managed))
      .map((a) => {
        const entry: PlistInputDict = {
          Name: a.name,
          // While installing, macOS reports placeholder versions (fleetdm/fleet#37290).
          ShortVersion: a.installing ? "0" : a.shortVersion,
          Version: a.installing ? "0" : a.version,
          BundleSize: a.bundleSize,
          Installing: a.installing,
        };
        if (a.identifier !== undefined) entry.Identifier = a.identifier;
        return entry;
      });
  }

  /** Executes one command (`{ CommandUUID, Command: { RequestType, … } }`) and returns the report to send. */
  async handle(command: PlistValue): Promise<Report> {
    if (!isPlistDict(command)) throw new MacError("command is not a dictionary");
    const uuid = stringAt(command, "CommandUUID");
    if (!uuid) throw new MacError("command without CommandUUID");
    const body = dictAt(command, "Command");
    const requestType = body ? stringAt(body, "RequestType") : undefined;
    const report = (status: ReportStatus, extra: PlistInputDict = {}): Report => {
      this.onEvent({ type: "command", requestType: requestType ?? "?", status });
      return Object.assign({}, extra, { UDID: this.udid, CommandUUID: uuid, Status: status });
    };
    if (!body || !requestType) return report("CommandFormatError", { ErrorChain: [chainItem(12021, "MCMDMErrorDomain", "The command is missing its RequestType.")] });

    switch (requestType) {
      case "DeviceInformation": {
        const all = this.deviceInformation();
        const queries = arrayAt(body, "Queries")?.filter((q): q is string => typeof q === "string");
        const answers: PlistInputDict = {};
        if (queries) for (const q of queries) if (all[q] !== undefined) answers[q] = all[q];
        return report("Acknowledged", { QueryResponses: queries ? answers : all });
      }
      case "InstalledApplicationList": {
        const identifiers = arrayAt(body, "Identifiers")?.filter((q): q is string => typeof q === "string");
        const list = this.installedApplicationList(identifiers, booleanAt(body, "ManagedAppsOnly") ?? false);
        return report("Acknowledged", { InstalledApplicationList: list });
      }
      case "InstallProfile": {
        const payload = dataAt(body, "Payload");
        if (!payload) return report("CommandFormatError", { ErrorChain: [chainItem(12021, "MCMDMErrorDomain", "InstallProfile needs a Payload.")] });
        if (this.lockedThisSession) return report("NotNow");
        const installed = this.installProfile(payload);
        if (!installed.ok) return report("Error", { ErrorChain: installed.chain });
        return report("Acknowledged");
      }
      case "InstallEnterpriseApplication":
      case "InstallApplication": {
        const manifestUrl = stringAt(body, "ManifestURL");
        const inline = dictAt(body, "Manifest");
        if (requestType === "InstallApplication" && !manifestUrl && (body.iTunesStoreID !== undefined || body.Identifier !== undefined)) {
          // App Store (VPP) installs need Apple's services: not simulated.
          return report("Error", { ErrorChain: [chainItem(506, "ASDErrorDomain", "App Store apps cannot be installed on this virtual Mac.")] });
        }
        if (!manifestUrl && !inline) {
          return report("CommandFormatError", { ErrorChain: [chainItem(12021, "MCMDMErrorDomain", `${requestType} needs a ManifestURL or a Manifest.`)] });
        }
        if (this.lockedThisSession) return report("NotNow");
        // Quirks 1 and 4: acknowledged on scheduling, then nothing happens.
        if (this.wedgedReason !== null) {
          this.onEvent({ type: "install-lost", reason: "wedged" });
          this.log(`${this.label()}: ${requestType} acknowledged, but the installer is wedged (${this.wedgedReason}) until reboot`);
          return report("Acknowledged");
        }
        if (this.job) {
          this.onEvent({ type: "install-lost", reason: "busy" });
          this.log(`${this.label()}: ${requestType} acknowledged while ${this.job.bundleId} is installing: this one is lost`);
          return report("Acknowledged");
        }
        return this.install(requestType, manifestUrl, inline, booleanAt(body, "InstallAsManaged") ?? false, report);
      }
      default:
        return report("Error", { ErrorChain: [chainItem(12021, "MCMDMErrorDomain", `The command “${requestType}” is not supported on this Mac.`)] });
    }
  }

  private installProfile(payload: Uint8Array): { ok: true } | { ok: false; chain: ErrorChainItem[] } {
    let profile: PlistDict;
    try {
      profile = readProfile(payload);
    } catch {
      return { ok: false, chain: [chainItem(1000, "MCProfileErrorDomain", "The profile could not be read: it is malformed.")] };
    }
    const identifier = stringAt(profile, "PayloadIdentifier");
    if (!identifier) return { ok: false, chain: [chainItem(1000, "MCProfileErrorDomain", "The profile is missing its PayloadIdentifier.")] };
    const payloadTypes = (arrayAt(profile, "PayloadContent") ?? []).filter(isPlistDict).map((p) => stringAt(p, "PayloadType") ?? "?");
    this.profileMap.set(identifier, { identifier, uuid: stringAt(profile, "PayloadUUID"), displayName: stringAt(profile, "PayloadDisplayName"), payloadTypes, installedAt: new Date() });
    this.log(`${this.label()}: profile ${identifier} installed`);
    return { ok: true };
  }

  private async install(
    requestType: string,
    manifestUrl: string | undefined,
    inline: PlistDict | undefined,
    managed: boolean,
    report: (status: ReportStatus, extra?: PlistInputDict) => Report,
  ): Promise<Report> {
    // The slot is taken while the manifest and package download, so a concurrent install is lost too.
    let release!: () => void;
    const done = new Promise<void>((r) => (release = r));
    const job: InstallJob = { bundleId: "(downloading)", version: "", done, release };
    this.job = job;
    let prepared: Prepared;
    try {
      prepared = await this.prepare(manifestUrl, inline);
    } catch (e) {
      prepared = { ok: false, wedge: false, reason: (e as Error).message, chain: [chainItem(-1, "NSURLErrorDomain", (e as Error).message)] };
    }
    if (!prepared.ok) {
      this.job = null;
      release();
      if (prepared.wedge) this.wedgedReason = prepared.reason;
      this.onEvent({ type: "install-failed", reason: prepared.reason, wedged: prepared.wedge });
      this.log(`${this.label()}: ${requestType} failed: ${prepared.reason}${prepared.wedge ? " (installer wedged until reboot)" : ""}`);
      return report("Error", { ErrorChain: prepared.chain });
    }

    const { bundleId, version, title, sizeBytes } = prepared;
    job.bundleId = bundleId;
    job.version = version;
    let app = this.appList.find((a) => a.identifier === bundleId);
    if (app) {
      // Only an app that is already there can be open.
      if (!app.open && this.rng.chance(this.behaviour.openAppRate)) app.open = true;
      app.installing = true;
    } else {
      app = { identifier: bundleId, name: title, shortVersion: "0", version: "0", bundleSize: 0, installing: true, open: false, location: "/Applications", managed };
      this.appList.push(app);
    }
    const target = app;
    const [min, max] = this.behaviour.installDurationMs;
    const duration = Math.max(0, Math.round(this.rng.between(min, Math.max(min, max))));
    const quitAfter = Math.round(this.rng.between(this.behaviour.appQuitDelayMs[0], Math.max(...this.behaviour.appQuitDelayMs)));
    this.onEvent({ type: "install-started", bundleId, version });
    this.log(`${this.label()}: installing ${title} ${version} (${duration} ms)`);

    this.later(duration, () => {
      target.installing = false;
      target.shortVersion = version;
      target.version = version;
      target.name = title;
      target.bundleSize = sizeBytes * 3 + 4096;
      target.managed = managed || target.managed;
      const staged = target.open;
      target.location = staged ? "temporary" : "/Applications";
      this.job = null;
      release();
      this.onEvent({ type: "install-done", bundleId, version, staged });
      this.log(`${this.label()}: ${title} ${version} installed${staged ? " in a temporary folder (the app is open)" : ""}`);
      if (staged) this.later(quitAfter, () => this.quitApp(bundleId));
    });
    const extra: PlistInputDict = requestType === "InstallApplication" ? { Identifier: bundleId, State: "Installing" } : {};
    return report("Acknowledged", extra);
  }

  /** Fetches and checks the manifest, then the package, as storedownloadd does. */
  private async prepare(manifestUrl: string | undefined, inline: PlistDict | undefined): Promise<Prepared> {
    const wedge = (reason: string, chain = manifestInvalid(reason)): Prepared => ({ ok: false, wedge: true, reason, chain });
    let manifest: PlistValue;
    if (inline) manifest = inline;
    else {
      let res: Response;
      try {
        res = await this.fetchFn(manifestUrl!, { signal: this.signal(), redirect: "follow" });
      } catch (e) {
        return wedge(`manifest download failed: ${(e as Error).message}`);
      }
      if (!res.ok) {
        await res.body?.cancel();
        return wedge(`manifest download failed: HTTP ${res.status}`);
      }
      try {
        manifest = decodePlist(new Uint8Array(await res.arrayBuffer()));
      } catch (e) {
        return wedge(`manifest is not a plist: ${(e as Error).message}`);
      }
    }
    const item = isPlistDict(manifest) ? arrayAt(manifest, "items")?.[0] : undefined;
    if (!item || !isPlistDict(item)) return wedge("manifest has no items");
    const asset = (arrayAt(item, "assets") ?? []).filter(isPlistDict).find((a) => stringAt(a, "kind") === "software-package");
    if (!asset) return wedge("manifest has no software-package asset");
    const metadata = dictAt(item, "metadata") ?? {};
    const bundleId = stringAt(metadata, "bundle-identifier") ?? "";
    const version = stringAt(metadata, "bundle-version") ?? "";
    const title = stringAt(metadata, "title") ?? bundleId;
    if (bundleId.length < 2) return wedge("manifest metadata has no bundle-identifier");
    if (version.length === 0) return wedge("manifest metadata has no bundle-version");
    const url = stringAt(asset, "url");
    if (!url) return wedge("software-package asset has no url");
    const sha256s = arrayAt(asset, "sha256s");
    const md5s = arrayAt(asset, "md5s");
    // If both are present, macOS uses only SHA-256.
    const algorithm = sha256s ? "sha256" : md5s ? "md5" : undefined;
    const hashes = (sha256s ?? md5s ?? []).filter((h): h is string => typeof h === "string");
    const chunk = algorithm === "sha256" ? integerAt(asset, "sha256-size") : integerAt(asset, "md5-size");
    if (!algorithm || hashes.length === 0) return wedge("manifest has no package hashes");
    if (chunk === undefined || chunk <= 0) return wedge(`manifest has no valid ${algorithm}-size`);

    // A flaky network (the simulated failure rate): this download fails, the next command may work.
    if (this.rng.chance(this.behaviour.failureRate)) {
      const cause = this.rng.next() < 0.5 ? chainItem(-1005, "NSURLErrorDomain", "The network connection was lost.") : chainItem(-1001, "NSURLErrorDomain", "The request timed out.");
      return { ok: false, wedge: false, reason: `download of ${title} failed (${cause.LocalizedDescription})`, chain: downloadFailed(title, cause) };
    }
    let bytes: Uint8Array;
    try {
      const res = await this.fetchFn(url, { signal: this.signal(), redirect: "follow" });
      if (!res.ok) {
        await res.body?.cancel();
        return wedge(`package download failed: HTTP ${res.status}`, downloadFailed(title, chainItem(-1011, "NSURLErrorDomain", `The server answered HTTP ${res.status} for the package.`)));
      }
      bytes = new Uint8Array(await res.arrayBuffer());
    } catch (e) {
      return wedge(`package download failed: ${(e as Error).message}`, downloadFailed(title, chainItem(-1005, "NSURLErrorDomain", (e as Error).message)));
    }
    const expected = Math.ceil(bytes.length / chunk);
    if (hashes.length !== expected) return wedge(`${hashes.length} ${algorithm} hashes for ${expected} chunks of ${chunk} bytes (package is ${bytes.length} bytes)`);
    for (let i = 0; i < expected; i++) {
      const digest = createHash(algorithm).update(bytes.subarray(i * chunk, (i + 1) * chunk)).digest("hex");
      if (digest !== hashes[i]!.toLowerCase()) return wedge(`${algorithm} of chunk ${i + 1}/${expected} does not match the manifest`);
    }
    return { ok: true, bundleId, version, title, sizeBytes: bytes.length };
  }

  // -------------------------------------------------------------------------------------------------------
  // Enrollment, check-ins and poll sessions
  // -------------------------------------------------------------------------------------------------------

  /**
   * Enrolls as a Mac does: downloads the profile (GET /mdm/enroll?token=…), opens its identity, sends
   * Authenticate then TokenUpdate (push Token = UTF-8 of the loopback wake URL, for the local push provider).
   */
  async enroll(params: EnrollParams): Promise<void> {
    try {
      const url = `${params.server.replace(/\/+$/, "")}/mdm/enroll?token=${encodeURIComponent(params.token)}`;
      const res = await this.fetchFn(url, { signal: this.signal(), headers: { "user-agent": USER_AGENT } });
      if (!res.ok) throw new MacError(`GET /mdm/enroll answered ${res.status}: ${(await res.text()).trim().slice(0, 200)}`);
      const profile = parseEnrollmentProfile(new Uint8Array(await res.arrayBuffer()));
      this.enrollment = Object.assign({}, profile, { signer: createMdmSigner(profile.identity), pushMagic: this.rng.uuid(), wakeUrl: params.wakeUrl });
      this.profileMap.set(profile.payloadIdentifier, { identifier: profile.payloadIdentifier, payloadTypes: ["com.apple.security.pkcs12", "com.apple.mdm"], installedAt: new Date() });

      const s = this.spec;
      await this.checkin({
        MessageType: "Authenticate",
        Topic: profile.topic,
        UDID: s.udid,
        DeviceName: s.deviceName,
        Model: s.model.identifier,
        ModelName: s.model.name,
        ProductName: s.model.identifier,
        SerialNumber: s.serialNumber,
        OSVersion: s.os.version,
        BuildVersion: s.os.build,
      });
      await this.checkin({
        MessageType: "TokenUpdate",
        Topic: profile.topic,
        UDID: s.udid,
        Token: Buffer.from(params.wakeUrl, "utf8"),
        PushMagic: this.enrollment.pushMagic,
        AwaitingConfiguration: false,
      });
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      this.onEvent({ type: "enroll-failed", reason });
      throw e instanceof MacError ? e : new MacError(`enrollment failed: ${reason}`, { cause: e });
    }
    this.enrolledFlag = true;
    this.onEvent({ type: "enrolled" });
    this.log(`${this.label()}: enrolled (${describeSpec(this.spec)})`);
    // A push that arrived while enrolling is acted on now, or when the Mac is back online.
    if (this.pendingPush) {
      if (this.isOffline()) this.scheduleWake(this.availability.nextOnlineAt(Date.now()) - Date.now());
      else {
        this.pendingPush = false;
        void this.poll();
      }
    }
  }

  private async checkin(message: PlistInputDict): Promise<void> {
    const res = await this.send("checkin", message);
    if (res.status !== 200) throw new MacError(`${typeof message.MessageType === "string" ? message.MessageType : "check-in"} answered ${res.status}: ${res.text.trim().slice(0, 200)}`);
  }

  private signal(): AbortSignal {
    return AbortSignal.any([this.abort.signal, AbortSignal.timeout(HTTP_TIMEOUT_MS)]);
  }

  /** One signed PUT to CheckInURL (check-ins) or ServerURL (reports). */
  private async send(kind: "checkin" | "report", message: PlistInputDict): Promise<{ status: number; text: string }> {
    const e = this.enrollment;
    if (!e) throw new MacError("not enrolled");
    const body = Buffer.from(encodePlist(message), "utf8");
    const headers: Record<string, string> = {
      "content-type": kind === "checkin" ? CHECKIN_CONTENT_TYPE : REPORT_CONTENT_TYPE,
      "user-agent": USER_AGENT,
    };
    if (e.signMessage) headers["mdm-signature"] = e.signer(body);
    const res = await this.fetchFn(kind === "checkin" ? e.checkInUrl : e.serverUrl, { method: "PUT", headers, body, signal: this.signal() });
    const text = await res.text();
    this.onEvent({ type: "request", kind, status: res.status });
    if (res.status !== 200) this.onEvent({ type: "rejected", kind, status: res.status, reason: text.trim().split("\n")[0] ?? "" });
    return { status: res.status, text };
  }

  /**
   * Runs a poll session unless one is running (then one more runs after it): PUT Idle, then command →
   * report → next command until an empty 200. Offline Macs do not poll.
   */
  poll(): Promise<void> {
    if (!this.enrolledFlag || this.stopped || this.isOffline()) return Promise.resolve();
    if (this.session) {
      this.pollAgain = true;
      return this.session;
    }
    const run = async () => {
      try {
        do {
          this.pollAgain = false;
          await this.runSession();
        } while (this.pollAgain && !this.stopped && !this.isOffline());
      } finally {
        this.session = null;
      }
    };
    this.session = run();
    return this.session;
  }

  private async runSession(): Promise<void> {
    this.onEvent({ type: "session" });
    this.lockedThisSession = this.lockedOverride ?? this.rng.chance(this.behaviour.notNowRate);
    let report: Report = { Status: "Idle", UDID: this.udid };
    try {
      for (let i = 0; i < MAX_COMMANDS_PER_SESSION && !this.stopped; i++) {
        const res = await this.send("report", report);
        if (res.status !== 200) {
          this.warn(`${this.label()}: PUT /mdm (${typeof report.Status === "string" ? report.Status : "report"}) answered ${res.status}: ${res.text.trim().split("\n")[0] ?? ""}`);
          return;
        }
        if (res.text.trim() === "") return;
        let command: PlistValue;
        try {
          command = decodePlist(res.text);
        } catch (e) {
          this.warn(`${this.label()}: the server sent an unreadable command: ${(e as Error).message}`);
          return;
        }
        try {
          report = await this.handle(command);
        } catch (e) {
          this.warn(`${this.label()}: cannot answer the command: ${(e as Error).message}`);
          return;
        }
      }
    } catch (e) {
      if (this.stopped) return;
      const message = e instanceof Error ? (e.cause instanceof Error ? `${e.message}: ${e.cause.message}` : e.message) : String(e);
      this.onEvent({ type: "network-error", message });
      this.warn(`${this.label()}: poll failed: ${message}`);
    }
  }

  /**
   * A push arrived ({"mdm": PushMagic}). A stale PushMagic is ignored, as macOS does. An offline Mac keeps
   * one pending push (APNs stores one notification) and acts on it when it comes back.
   */
  receivePush(pushMagic: string): void {
    if (this.stopped) return;
    if (!this.enrollment || pushMagic !== this.enrollment.pushMagic) {
      this.onEvent({ type: "push-ignored", reason: "unknown PushMagic" });
      return;
    }
    const now = Date.now();
    if (!this.enrolledFlag || this.isOffline(now)) {
      this.pendingPush = true;
      this.onEvent({ type: "push", deferred: true });
      if (this.enrolledFlag) this.scheduleWake(this.availability.nextOnlineAt(now) - now);
      return;
    }
    this.onEvent({ type: "push", deferred: false });
    void this.poll();
  }

  private scheduleWake(delayMs: number) {
    if (this.wakeTimer || !Number.isFinite(delayMs)) return;
    this.wakeTimer = this.later(Math.max(0, delayMs) + 50, () => {
      this.wakeTimer = null;
      if (!this.pendingPush) return;
      if (this.isOffline()) return this.scheduleWake(this.availability.nextOnlineAt(Date.now()) - Date.now());
      this.pendingPush = false;
      void this.poll();
    });
  }

  /** Polls on its own every `intervalMs` (±20 %, first one at a random point of the first interval). */
  startPolling(intervalMs: number): void {
    if (this.pollTimer || this.stopped || intervalMs <= 0) return;
    const tick = (delay: number) => {
      this.pollTimer = this.later(delay, () => {
        if (this.isOffline()) return tick(intervalMs * this.rng.between(0.8, 1.2));
        this.pendingPush = false;
        void this.poll().finally(() => {
          if (!this.stopped) tick(intervalMs * this.rng.between(0.8, 1.2));
        });
      });
    };
    tick(intervalMs * this.rng.next());
  }

  /** Stops timers and in-flight requests; resolves when the current session has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.pollTimer = null;
    this.wakeTimer = null;
    this.abort.abort();
    await this.session?.catch(() => {});
    // Installs cut short by the stop still release their waiters.
    this.job?.release();
    this.job = null;
  }

  private later(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopped) fn();
    }, ms);
    t.unref();
    this.timers.add(t);
    return t;
  }

  private label() {
    return `${this.spec.deviceName} [${this.udid.slice(0, 8)}]`;
  }
}

const describeSpec = (spec: MacSpec) => `${spec.model.identifier}, macOS ${spec.os.version} ${spec.os.build}`;

// The per-computer install flow of a deployment (DESIGN §3.1 statuses and phases, §3.4 transitions).
// Pure: given a target's state and the facts of this moment, return its next state (status, phase, reason)
// and the actions the scheduler carries out. Every outcome carries its reason.
import type { Compatibility } from "./compatibility";
import type { ManifestCheck } from "./manifest";
import { hasAttemptsLeft, isAttemptExpired, isDue, nextAttemptAt } from "./retry";
import { compareVersions } from "./versions";

export type TargetStatus = "in_progress" | "self_service_available" | "installed" | "unqualified" | "failed";
export type TargetPhase =
  | "waiting_for_inventory"
  | "waiting_for_device_information"
  | "waiting_for_device"
  | "waiting_for_install_slot"
  | "profiles_sent"
  | "install_sent"
  | "not_now"
  | "acknowledged"
  | "verifying"
  | "waiting_for_next_attempt"
  | "waiting_for_user"
  | "done";

export type TargetState = {
  status: TargetStatus;
  phase: TargetPhase;
  reason: string;
  attempts: number;
  nextAttemptAt: Date | null;
  lastError: string | null;
  targetVersion: string;
  selfServiceRequestedAt: Date | null;
  /** The InstalledApplicationList this target waits on (dispatch or confirmation). */
  pendingInventoryCommandUuid: string | null;
  /** The current attempt's install command. */
  installCommandUuid: string | null;
  statusChangedAt: Date;
};

export type CommandFact = {
  uuid: string;
  status: "queued" | "sent" | "acknowledged" | "error" | "command_format_error" | "not_now" | "canceled";
  sentAt: Date | null;
  completedAt: Date | null;
  errorText: string | null;
  /** Queued, but another install holds this Mac's single install slot. */
  waitingForSlot?: boolean;
};

export type InstalledFact = { shortVersion: string | null; version: string | null; installing: boolean };

export type TargetFacts = {
  scope: { kind: "winner" } | { kind: "unqualified"; reason: string };
  distributionMethod: "install_automatically" | "self_service";
  /** The version to be on now: the newest for Automatic, the pinned one for Manual. */
  target: { version: string; shortVersion: string | null };
  compatibility: Compatibility;
  /** The title as the Mac last reported it (the highest version found), or null when absent. */
  installed: InstalledFact | null;
  /** When the Mac's full inventory was last refreshed. */
  lastInventoryAt: Date | null;
  inventoryCommand: CommandFact | null;
  installCommand: CommandFact | null;
  manifestCheck: ManifestCheck;
  hasSupportingProfiles: boolean;
};

export type TargetSettings = { maxAttempts: number; retryIntervalMs: number; confirmationDelayMs: number };

export type TargetAction =
  /** Queue InstalledApplicationList for the title; its UUID becomes pendingInventoryCommandUuid. */
  | { kind: "queue_inventory" }
  /** Queue the supporting profiles (if asked) then InstallEnterpriseApplication; its UUID becomes installCommandUuid. */
  | { kind: "queue_install"; attempt: number; withProfiles: boolean }
  /** Free the Mac's install slot held by the current install command. */
  | { kind: "release_install" }
  /** Cancel this deployment's unsent commands to this Mac. */
  | { kind: "cancel_pending" };

export type TargetStep = { state: TargetState; actions: TargetAction[] };

const TERMINAL_FAILURE = new Set<CommandFact["status"]>(["error", "command_format_error", "canceled"]);

/** The label of each status, exactly as DESIGN §3.1 words it. */
export const STATUS_LABELS: Record<TargetStatus, string> = {
  in_progress: "In progress",
  self_service_available: "Available for install in Self Service",
  installed: "Installed",
  unqualified: "Unqualified",
  failed: "Failed",
};

/** Whether the Mac has the title at or above the target version, finished installing (DESIGN §3.1 Installed). */
export function isInstalledAtTarget(installed: InstalledFact | null, target: TargetFacts["target"]): boolean {
  if (!installed || installed.installing) return false;
  // ShortVersion is the marketing version the catalog speaks; Version (CFBundleVersion) is often a build
  // number ("4210") that would compare above "4.2.1", so it is used only when ShortVersion is missing.
  if (installed.shortVersion) return compareVersions(installed.shortVersion, target.shortVersion ?? target.version) >= 0;
  return installed.version !== null && compareVersions(installed.version, target.version) >= 0;
}

export function initialTargetState(facts: TargetFacts, now: Date): TargetState {
  return {
    status: "in_progress",
    phase: "waiting_for_inventory",
    reason: "Waiting to check the Mac's installed applications",
    attempts: 0,
    nextAttemptAt: null,
    lastError: null,
    targetVersion: facts.target.version,
    selfServiceRequestedAt: null,
    pendingInventoryCommandUuid: null,
    installCommandUuid: null,
    statusChangedAt: now,
  };
}

/**
 * The working state of one stepTarget call. The helpers below take it as an argument instead of closing
 * over it: a pass calls stepTarget for every target (hundreds of thousands), and closures made per call
 * cost more than the step itself (each also goes through the runtime's function-naming helper under tsx).
 */
type Step = { s: TargetState; actions: TargetAction[]; facts: TargetFacts; settings: TargetSettings; now: Date };

const attemptLabel = (c: Step, n: number) => `attempt ${n} of ${c.settings.maxAttempts}`;

/** c.s is this step's own copy of the state (made once in stepTarget), so it is written in place. */
function to(c: Step, status: TargetStatus, phase: TargetPhase, reason: string) {
  if (status !== c.s.status) c.s.statusChangedAt = c.now;
  c.s.status = status;
  c.s.phase = phase;
  c.s.reason = reason;
}

function dropInstall(c: Step) {
  if (c.s.installCommandUuid) c.actions.push({ kind: "release_install" });
  c.s.installCommandUuid = null;
}

function stopAll(c: Step) {
  if (c.s.pendingInventoryCommandUuid || c.s.installCommandUuid) c.actions.push({ kind: "cancel_pending" });
  dropInstall(c);
  c.s.pendingInventoryCommandUuid = null;
  c.s.nextAttemptAt = null;
}

const done = (c: Step): TargetStep => ({ state: c.s, actions: c.actions });

function attemptFailed(c: Step, reported: string) {
  const { s, settings } = c;
  const error = reported.trim().replace(/[.\s]+$/, "");
  const sentAt = c.facts.installCommand?.sentAt ?? c.now;
  dropInstall(c);
  s.pendingInventoryCommandUuid = null;
  s.lastError = error;
  if (hasAttemptsLeft(s.attempts, settings)) {
    s.nextAttemptAt = nextAttemptAt(sentAt, settings);
    to(c, "in_progress", "waiting_for_next_attempt", `${capitalize(attemptLabel(c, s.attempts))} failed: ${error}. Retrying ${describeDuration(settings.retryIntervalMs)} after it was sent`);
  } else {
    s.nextAttemptAt = null;
    to(c, "failed", "done", `Not installed after ${s.attempts} attempts: ${error}`);
  }
}

function expireOr(c: Step, cmd: CommandFact): TargetStep {
  if (cmd.sentAt && isAttemptExpired(cmd.sentAt, c.now, c.settings)) attemptFailed(c, `not confirmed within ${describeDuration(c.settings.retryIntervalMs)} of being sent`);
  return done(c);
}

/** After Acknowledged: confirm with InstalledApplicationList, repeated while the install is running (item 4). */
function verify(c: Step, cmd: CommandFact): TargetStep {
  const { facts, settings, now } = c;
  const inv = facts.inventoryCommand;
  if (c.s.phase !== "verifying") {
    c.s.pendingInventoryCommandUuid = null;
    c.s.nextAttemptAt = new Date((cmd.completedAt ?? now).getTime() + settings.confirmationDelayMs);
    to(c, "in_progress", "verifying", `Acknowledged by the Mac (${attemptLabel(c, c.s.attempts)}); confirming the install shortly`);
  } else if (c.s.pendingInventoryCommandUuid && inv?.status === "acknowledged") {
    if (isInstalledAtTarget(facts.installed, facts.target)) {
      dropInstall(c);
      c.s.pendingInventoryCommandUuid = null;
      c.s.nextAttemptAt = null;
      to(c, "installed", "done", `Installed ${facts.installed?.shortVersion ?? facts.installed?.version} (confirmed by InstalledApplicationList)`);
      return done(c);
    }
    c.s.pendingInventoryCommandUuid = null;
    c.s.nextAttemptAt = new Date(now.getTime() + settings.confirmationDelayMs);
    const still = facts.installed?.installing ? "the Mac reports the install is still running" : "the title is not there yet";
    to(c, "in_progress", "verifying", `Verifying (${attemptLabel(c, c.s.attempts)}): ${still}`);
  } else if (c.s.pendingInventoryCommandUuid && inv && TERMINAL_FAILURE.has(inv.status)) {
    c.s.pendingInventoryCommandUuid = null;
  }
  if (cmd.sentAt && isAttemptExpired(cmd.sentAt, now, settings)) {
    attemptFailed(c, `not confirmed within ${describeDuration(settings.retryIntervalMs)} of being sent`);
    return done(c);
  }
  if (!c.s.pendingInventoryCommandUuid && isDue(c.s.nextAttemptAt, now)) {
    c.actions.push({ kind: "queue_inventory" });
    c.s.nextAttemptAt = null;
  }
  return done(c);
}

/** One step of the flow for one (deployment, computer). Deterministic in (state, facts, settings, now). */
export function stepTarget(current: TargetState, facts: TargetFacts, settings: TargetSettings, now: Date): TargetStep {
  const c: Step = { s: { ...current }, actions: [], facts, settings, now };
  // A new target version (Automatic update, or the admin changed a Manual one): start again (item 9).
  if (c.s.targetVersion !== facts.target.version) {
    stopAll(c);
    c.s = Object.assign({}, c.s, { targetVersion: facts.target.version, attempts: 0, lastError: null });
    if (c.s.status !== "self_service_available") to(c, "in_progress", "waiting_for_inventory", `New target version ${facts.target.shortVersion ?? facts.target.version}: checking the Mac`);
  }

  if (facts.scope.kind === "unqualified") {
    stopAll(c);
    to(c, "unqualified", "done", facts.scope.reason);
    return done(c);
  }
  if (facts.compatibility.kind === "incompatible") {
    stopAll(c);
    to(c, "failed", "done", facts.compatibility.reason);
    return done(c);
  }
  // A target that was Unqualified or incompatible and now is neither starts over.
  if ((c.s.status === "unqualified" || (c.s.status === "failed" && c.s.attempts === 0 && c.s.lastError === null)) && c.s.phase === "done") {
    to(c, "in_progress", "waiting_for_inventory", "Waiting to check the Mac's installed applications");
  }

  // Settled outcomes: Installed stays; Failed turns Installed when a later inventory shows the title (item 5).
  if (c.s.status === "installed") return done(c);
  if (c.s.status === "failed") {
    if (facts.lastInventoryAt && facts.lastInventoryAt >= c.s.statusChangedAt && isInstalledAtTarget(facts.installed, facts.target)) {
      to(c, "installed", "done", `Found ${facts.installed?.shortVersion ?? facts.installed?.version} in inventory after the attempts had failed`);
    }
    return done(c);
  }

  if (facts.distributionMethod === "self_service" && c.s.selfServiceRequestedAt === null) {
    if (isInstalledAtTarget(facts.installed, facts.target) && facts.lastInventoryAt !== null) to(c, "installed", "done", `Version ${facts.installed?.shortVersion ?? facts.installed?.version} is installed`);
    else to(c, "self_service_available", "waiting_for_user", "Available in Self Service: waiting for the user to click Install");
    return done(c);
  }
  if (c.s.status === "self_service_available") to(c, "in_progress", "waiting_for_inventory", "Install requested in Self Service");

  if (facts.compatibility.kind === "unknown") {
    to(c, "in_progress", "waiting_for_device_information", facts.compatibility.reason);
    return done(c);
  }

  // An install is out: follow it.
  const install = facts.installCommand;
  if (c.s.installCommandUuid && install) {
    switch (install.status) {
      case "queued":
        if (install.waitingForSlot) to(c, "in_progress", "waiting_for_install_slot", `Install queued (${attemptLabel(c, c.s.attempts)}): waiting for another install on this Mac to finish`);
        else to(c, "in_progress", facts.hasSupportingProfiles ? "profiles_sent" : "waiting_for_device", `Install queued (${attemptLabel(c, c.s.attempts)}): waiting for the Mac to check in`);
        return done(c);
      case "not_now":
        to(c, "in_progress", "not_now", `The Mac answered NotNow (busy, locked or no user logged in); the install will be offered again (${attemptLabel(c, c.s.attempts)})`);
        return expireOr(c, install);
      case "sent":
        to(c, "in_progress", "install_sent", `InstallEnterpriseApplication sent (${attemptLabel(c, c.s.attempts)})`);
        return expireOr(c, install);
      case "error":
      case "command_format_error":
        attemptFailed(c, install.errorText ?? "the Mac reported an error");
        return done(c);
      case "canceled":
        // Cancelled outside the flow (re-enrollment, an admin): the attempt did not happen.
        c.s.installCommandUuid = null;
        c.s.attempts = Math.max(0, c.s.attempts - 1);
        to(c, "in_progress", "waiting_for_inventory", "The install command was cancelled; checking the Mac again");
        break;
      case "acknowledged":
        return verify(c, install);
    }
  }

  // Between attempts: wait for the next one to be due, then check the Mac again (item 5).
  if (c.s.phase === "waiting_for_next_attempt") {
    if (!isDue(c.s.nextAttemptAt, now)) return done(c);
    c.s.nextAttemptAt = null;
    to(c, "in_progress", "waiting_for_inventory", `Retrying: checking the Mac before ${attemptLabel(c, c.s.attempts + 1)}`);
  }

  // Dispatch: ask the Mac what it has, and wait for its answer with no timeout and no attempt used (item 2).
  const inv = facts.inventoryCommand;
  if (c.s.pendingInventoryCommandUuid && inv && (inv.status === "queued" || inv.status === "sent" || inv.status === "not_now")) {
    to(c, "in_progress", "waiting_for_device", "Waiting for the Mac to report its installed applications (it may be offline)");
    return done(c);
  }
  if (!c.s.pendingInventoryCommandUuid || !inv || inv.status !== "acknowledged") {
    c.s.pendingInventoryCommandUuid = null;
    c.actions.push({ kind: "queue_inventory" });
    to(c, "in_progress", "waiting_for_device", "Waiting for the Mac to report its installed applications (it may be offline)");
    return done(c);
  }

  // The answer is in (item 3).
  c.s.pendingInventoryCommandUuid = null;
  if (isInstalledAtTarget(facts.installed, facts.target)) {
    to(c, "installed", "done", `Version ${facts.installed?.shortVersion ?? facts.installed?.version} is already installed`);
    return done(c);
  }
  if (!facts.manifestCheck.ok) {
    // Never send a manifest that fails validation: it can block every later install until a reboot (item 8).
    // lastError marks it as a failure of the install itself, so it stays Failed until an admin retries.
    c.s.lastError = facts.manifestCheck.reason;
    to(c, "failed", "done", facts.manifestCheck.reason);
    return done(c);
  }
  c.s.attempts += 1;
  c.s.lastError = null;
  c.actions.push({ kind: "queue_install", attempt: c.s.attempts, withProfiles: c.s.attempts === 1 && facts.hasSupportingProfiles });
  to(c, "in_progress", facts.hasSupportingProfiles && c.s.attempts === 1 ? "profiles_sent" : "waiting_for_device", `Install queued (${attemptLabel(c, c.s.attempts)})`);
  return done(c);
}

/**
 * What a new target's first step (initialTargetState, then stepTarget) reads of lastInventoryAt: whether
 * there is one, and its order against the new state's statusChangedAt, which is now. Targets created in one
 * pass whose other facts are equal and whose relation is equal take the same first step, so a whole-fleet
 * pass can step one of each (status.test.ts checks this against stepTarget itself).
 */
export function firstStepInventoryRelation(lastInventoryAt: Date | null, now: Date): 0 | 1 | 2 {
  if (lastInventoryAt === null) return 0;
  // getTime, not `<` on the Dates: relational comparison converts each through Symbol.toPrimitive, which a
  // whole-fleet pass pays per computer (~0.2 µs each, 18 ms of a 100,000-Mac pass).
  return lastInventoryAt.getTime() < now.getTime() ? 1 : 2;
}

/** "6 hours", "1 hour", "90 minutes": durations as the reasons read them. */
export function describeDuration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes % 60 === 0) return `${minutes / 60} hour${minutes === 60 ? "" : "s"}`;
  return `${minutes} minute${minutes === 1 ? "" : "s"}`;
}

function capitalize(s: string) {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

import fc from "fast-check";
import { describe, expect, it } from "vitest";

import { describeDuration, firstStepInventoryRelation, initialTargetState, isInstalledAtTarget, stepTarget, type CommandFact, type TargetFacts, type TargetState } from "./status";

const NOW = new Date("2026-03-02T12:00:00.000Z");
const HOUR = 3_600_000;
const settings = { maxAttempts: 3, retryIntervalMs: 6 * HOUR, confirmationDelayMs: 5 * 60_000 };

const facts = (patch: Partial<TargetFacts> = {}): TargetFacts => ({
  scope: { kind: "winner" },
  distributionMethod: "install_automatically",
  target: { version: "4.2.1", shortVersion: null },
  compatibility: { kind: "compatible" },
  installed: null,
  lastInventoryAt: null,
  inventoryCommand: null,
  installCommand: null,
  manifestCheck: { ok: true },
  hasSupportingProfiles: false,
  ...patch,
});
const cmd = (status: CommandFact["status"], patch: Partial<CommandFact> = {}): CommandFact => ({ uuid: `C-${status}`, status, sentAt: null, completedAt: null, errorText: null, ...patch });
const state = (patch: Partial<TargetState> = {}): TargetState => ({ ...initialTargetState(facts(), new Date(NOW.getTime() - HOUR)), ...patch });

describe("stepTarget (DESIGN §3.1, §3.4)", () => {
  it.each<[string, TargetState, TargetFacts, Partial<TargetState>, string[]]>([
    ["a new target asks the Mac for its applications (item 2)", state(), facts(), { status: "in_progress", phase: "waiting_for_device" }, ["queue_inventory"]],
    [
      "waiting for an offline Mac uses no attempt and sends nothing (item 2)",
      state({ pendingInventoryCommandUuid: "C-queued", phase: "waiting_for_device" }),
      facts({ inventoryCommand: cmd("queued") }),
      { phase: "waiting_for_device", attempts: 0 },
      [],
    ],
    [
      "already at the target version: Installed, no install (item 3)",
      state({ pendingInventoryCommandUuid: "C-acknowledged" }),
      facts({ inventoryCommand: cmd("acknowledged"), installed: { shortVersion: "4.2.1", version: "4210", installing: false } }),
      { status: "installed", phase: "done", reason: "Version 4.2.1 is already installed" },
      [],
    ],
    [
      "not there: attempt 1 with supporting profiles first (item 3)",
      state({ pendingInventoryCommandUuid: "C-acknowledged" }),
      facts({ inventoryCommand: cmd("acknowledged"), hasSupportingProfiles: true }),
      { attempts: 1, phase: "profiles_sent", reason: "Install queued (attempt 1 of 3)" },
      ["queue_install"],
    ],
    [
      "an invalid manifest is never sent: Failed with the validation error (item 8)",
      state({ pendingInventoryCommandUuid: "C-acknowledged" }),
      facts({ inventoryCommand: cmd("acknowledged"), manifestCheck: { ok: false, reason: "Invalid manifest: missing title" } }),
      { status: "failed", reason: "Invalid manifest: missing title", attempts: 0 },
      [],
    ],
    [
      "an install waiting behind another Mac install says so (item 7)",
      state({ installCommandUuid: "C-queued", attempts: 1 }),
      facts({ installCommand: cmd("queued", { waitingForSlot: true }) }),
      { phase: "waiting_for_install_slot" },
      [],
    ],
    [
      "NotNow keeps the attempt (item 6)",
      state({ installCommandUuid: "C-not_now", attempts: 1 }),
      facts({ installCommand: cmd("not_now", { sentAt: NOW }) }),
      { phase: "not_now", attempts: 1, status: "in_progress" },
      [],
    ],
    [
      "Acknowledged is not Installed: confirm after the delay (item 4)",
      state({ installCommandUuid: "C-acknowledged", attempts: 1, phase: "install_sent" }),
      facts({ installCommand: cmd("acknowledged", { sentAt: NOW, completedAt: NOW }) }),
      { phase: "verifying", status: "in_progress", nextAttemptAt: new Date(NOW.getTime() + 5 * 60_000) },
      [],
    ],
    [
      "the confirming answer shows it: Installed, slot released (item 4)",
      state({ installCommandUuid: "C-acknowledged", attempts: 1, phase: "verifying", pendingInventoryCommandUuid: "INV" }),
      facts({
        installCommand: cmd("acknowledged", { sentAt: NOW, completedAt: NOW }),
        inventoryCommand: { ...cmd("acknowledged"), uuid: "INV" },
        installed: { shortVersion: "4.2.1", version: null, installing: false },
      }),
      { status: "installed", reason: "Installed 4.2.1 (confirmed by InstalledApplicationList)", installCommandUuid: null },
      ["release_install"],
    ],
    [
      "Installing true: keep verifying (item 4)",
      state({ installCommandUuid: "C-acknowledged", attempts: 1, phase: "verifying", pendingInventoryCommandUuid: "INV" }),
      facts({ installCommand: cmd("acknowledged", { sentAt: NOW, completedAt: NOW }), inventoryCommand: { ...cmd("acknowledged"), uuid: "INV" }, installed: { shortVersion: null, version: null, installing: true } }),
      { status: "in_progress", phase: "verifying", reason: "Verifying (attempt 1 of 3): the Mac reports the install is still running" },
      [],
    ],
    [
      "unconfirmed six hours after it was sent: the attempt failed, retry later (item 5)",
      state({ installCommandUuid: "C-acknowledged", attempts: 1, phase: "verifying", nextAttemptAt: new Date(NOW.getTime() + 60_000) }),
      facts({ installCommand: cmd("acknowledged", { sentAt: new Date(NOW.getTime() - 6 * HOUR), completedAt: new Date(NOW.getTime() - 6 * HOUR) }) }),
      { phase: "waiting_for_next_attempt", lastError: "not confirmed within 6 hours of being sent" },
      ["release_install"],
    ],
    [
      "an Error on attempt 3: Failed with the last error (item 5)",
      state({ installCommandUuid: "C-error", attempts: 3 }),
      facts({ installCommand: cmd("error", { sentAt: NOW, errorText: "Package signature cannot be verified" }) }),
      { status: "failed", reason: "Not installed after 3 attempts: Package signature cannot be verified" },
      ["release_install"],
    ],
    [
      "a later inventory showing the title turns Failed into Installed (item 5)",
      state({ status: "failed", phase: "done", attempts: 3, lastError: "x", statusChangedAt: new Date(NOW.getTime() - HOUR) }),
      facts({ lastInventoryAt: NOW, installed: { shortVersion: "4.3", version: null, installing: false } }),
      { status: "installed" },
      [],
    ],
    [
      "Self Service before the click: Available (item 1)",
      state(),
      facts({ distributionMethod: "self_service" }),
      { status: "self_service_available", phase: "waiting_for_user" },
      [],
    ],
    [
      "unknown architecture or macOS: waits, not judged (§4.1)",
      state(),
      facts({ compatibility: { kind: "unknown", reason: "Waiting for device information (macOS version and architecture)" } }),
      { status: "in_progress", phase: "waiting_for_device_information" },
      [],
    ],
    [
      "incompatible: Failed with the reason, pending commands cancelled (§3.3)",
      state({ pendingInventoryCommandUuid: "C-queued" }),
      facts({ compatibility: { kind: "incompatible", reason: "Not available for Intel (x86_64)" } }),
      { status: "failed", reason: "Not available for Intel (x86_64)" },
      ["cancel_pending"],
    ],
    [
      "a losing deployment: Unqualified with the winner's reason (§3.2)",
      state(),
      facts({ scope: { kind: "unqualified", reason: 'App Installer "A" (#2) takes precedence: the lower ID wins when everything else is equal' } }),
      { status: "unqualified", reason: 'App Installer "A" (#2) takes precedence: the lower ID wins when everything else is equal' },
      [],
    ],
    [
      "a new target version (Automatic): attempts start again (item 9)",
      state({ status: "installed", phase: "done", attempts: 2, targetVersion: "4.1.0" }),
      facts(),
      { status: "in_progress", attempts: 0, targetVersion: "4.2.1" },
      ["queue_inventory"],
    ],
  ])("%s", (_name, before, f, expected, actions) => {
    const step = stepTarget(before, f, settings, NOW);
    expect(step.state).toMatchObject(expected);
    expect(step.actions.map((a) => a.kind)).toEqual(actions);
  });

  it("the next attempt waits six hours from when the failed one was sent (item 5)", () => {
    const sentAt = new Date(NOW.getTime() - HOUR);
    const step = stepTarget(state({ installCommandUuid: "C-error", attempts: 1 }), facts({ installCommand: cmd("error", { sentAt, errorText: "boom" }) }), settings, NOW);
    expect(step.state.nextAttemptAt?.toISOString()).toBe(new Date(sentAt.getTime() + 6 * HOUR).toISOString());
    const early = stepTarget(step.state, facts(), settings, new Date(sentAt.getTime() + 6 * HOUR - 1));
    expect(early.actions).toEqual([]);
    const due = stepTarget(step.state, facts(), settings, new Date(sentAt.getTime() + 6 * HOUR));
    expect(due.actions).toEqual([{ kind: "queue_inventory" }]);
  });

  it("quotes the Mac's error once, without its trailing period, and names the retry interval", () => {
    const step = stepTarget(state({ installCommandUuid: "C-error", attempts: 1 }), facts({ installCommand: cmd("error", { sentAt: NOW, errorText: "The download of “Editor” failed." }) }), settings, NOW);
    expect(step.state.reason).toBe("Attempt 1 of 3 failed: The download of “Editor” failed. Retrying 6 hours after it was sent");
    expect(step.state.lastError).toBe("The download of “Editor” failed");
  });

  it.each([
    [6 * HOUR, "6 hours"],
    [HOUR, "1 hour"],
    [90 * 60_000, "90 minutes"],
    [60_000, "1 minute"],
  ])("describes %i ms as %s", (ms, text) => {
    expect(describeDuration(ms)).toBe(text);
  });

  it("compares the marketing version, not a build number that only looks bigger", () => {
    const target = { version: "4.2.1", shortVersion: null };
    expect(isInstalledAtTarget({ shortVersion: "4.1.9", version: "9999", installing: false }, target)).toBe(false);
    expect(isInstalledAtTarget({ shortVersion: null, version: "4.2.1", installing: false }, target)).toBe(true);
    expect(isInstalledAtTarget({ shortVersion: "4.10", version: null, installing: false }, target)).toBe(true);
    expect(isInstalledAtTarget({ shortVersion: "5.0", version: null, installing: true }, target)).toBe(false);
  });
});

describe("firstStepInventoryRelation", () => {
  it("is all a new target's first step reads of lastInventoryAt: equal relations, equal steps", () => {
    const instant = fc.option(fc.integer({ min: -40 * 24, max: 40 * 24 }).map((h) => new Date(NOW.getTime() + h * HOUR)), { nil: null });
    const factsArb = fc.record({
      scope: fc.constantFrom<TargetFacts["scope"]>({ kind: "winner" }, { kind: "unqualified", reason: "App Installer #1 takes precedence" }),
      distributionMethod: fc.constantFrom<TargetFacts["distributionMethod"]>("install_automatically", "self_service"),
      compatibility: fc.constantFrom<TargetFacts["compatibility"]>({ kind: "compatible" }, { kind: "incompatible", reason: "Needs macOS 14" }, { kind: "unknown", reason: "Waiting" }),
      installed: fc.constantFrom<TargetFacts["installed"]>(null, { shortVersion: "4.2.1", version: "421", installing: false }, { shortVersion: "4.0", version: null, installing: false }, { shortVersion: null, version: null, installing: true }),
      hasSupportingProfiles: fc.boolean(),
    });
    fc.assert(
      fc.property(factsArb, instant, instant, (patch, a, b) => {
        fc.pre(firstStepInventoryRelation(a, NOW) === firstStepInventoryRelation(b, NOW));
        const first = (lastInventoryAt: Date | null) => {
          const f = facts({ ...patch, lastInventoryAt });
          return stepTarget(initialTargetState(f, NOW), f, settings, NOW);
        };
        expect(first(a)).toEqual(first(b));
      }),
      { numRuns: 500 },
    );
  });
});

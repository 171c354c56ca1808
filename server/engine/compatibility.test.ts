import { describe, expect, it } from "vitest";

import { checkCompatibility, type CompatibilityInput } from "./compatibility";
import { hasAttemptsLeft, isAttemptExpired, isDue, nextAttemptAt } from "./retry";

const universal = { version: "2.0", minimumOsVersion: "14.0", architectures: ["arm64", "x86_64"] as const };
const check = (version: CompatibilityInput["version"], osVersion: string | null, architecture: "arm64" | "x86_64" | null) => checkCompatibility({ version, computer: { osVersion, architecture } });

describe("checkCompatibility (DESIGN §3.3)", () => {
  it.each([
    ["universal on Apple silicon", universal, "14.5", "arm64", { kind: "compatible" }],
    ["universal on Intel", universal, "15.1", "x86_64", { kind: "compatible" }],
    ["minimum macOS met exactly", universal, "14.0", "arm64", { kind: "compatible" }],
    ["minimum macOS numerically (14.10 ≥ 14.9)", { ...universal, minimumOsVersion: "14.9" }, "14.10", "arm64", { kind: "compatible" }],
    ["macOS too old", universal, "13.6.7", "arm64", { kind: "incompatible", reason: "Requires macOS 14.0 or later (this Mac runs 13.6.7)" }],
    ["arm64-only on Intel", { ...universal, architectures: ["arm64"] as const }, "14.5", "x86_64", { kind: "incompatible", reason: "Not available for Intel (x86_64)" }],
    ["x86_64-only on Apple silicon", { ...universal, architectures: ["x86_64"] as const }, "14.5", "arm64", { kind: "incompatible", reason: "Not available for Apple silicon (arm64)" }],
    ["unknown architecture waits", universal, "14.5", null, { kind: "unknown", reason: "Waiting for device information (macOS version and architecture)" }],
    ["unknown macOS waits", universal, null, "arm64", { kind: "unknown", reason: "Waiting for device information (macOS version and architecture)" }],
  ] as const)("%s", (_name, version, os, arch, expected) => {
    expect(check(version, os, arch)).toEqual(expected);
  });
});

describe("retry arithmetic (DESIGN §3.4 item 5)", () => {
  const settings = { maxAttempts: 3, retryIntervalMs: 6 * 3600_000 };
  const sent = new Date("2026-03-02T09:00:00Z");
  it("six hours after the attempt was sent, not a millisecond earlier", () => {
    expect(nextAttemptAt(sent, settings).toISOString()).toBe("2026-03-02T15:00:00.000Z");
    expect(isAttemptExpired(sent, new Date(sent.getTime() + 6 * 3600_000 - 1), settings)).toBe(false);
    expect(isAttemptExpired(sent, new Date(sent.getTime() + 6 * 3600_000), settings)).toBe(true);
  });
  it("three attempts at most", () => {
    expect([0, 1, 2, 3].map((n) => hasAttemptsLeft(n, settings))).toEqual([true, true, true, false]);
  });
  it("null is always due", () => {
    expect(isDue(null, sent)).toBe(true);
    expect(isDue(new Date(sent.getTime() + 1), sent)).toBe(false);
  });
});

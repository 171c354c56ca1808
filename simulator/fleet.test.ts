import { describe, expect, it } from "vitest";

import { createOfflineSchedule } from "./availability";
import { compareVersions, osMajor, THIRD_PARTY_APPS } from "./catalog";
import { generateFleetSpecs } from "./fleet";
import { deriveSeed, Rng } from "./random";

describe("seeded fleet generation", () => {
  it("[SIM][SEED]: the same seed gives the same fleet; another seed another one", () => {
    const a = generateFleetSpecs(42, 50);
    const b = generateFleetSpecs(42, 50);
    expect(b).toEqual(a);
    expect(a.map((m) => m.udid)).toEqual(b.map((m) => m.udid));
    expect(a.map((m) => m.os.version)).toEqual(b.map((m) => m.os.version));
    expect(a.map((m) => m.apps)).toEqual(b.map((m) => m.apps));
    const c = generateFleetSpecs(43, 50);
    expect(c.map((m) => m.udid)).not.toEqual(a.map((m) => m.udid));
    // A bigger fleet starts with the same Macs.
    expect(generateFleetSpecs(42, 60).slice(0, 50)).toEqual(a);
  });

  it("[SIM][SEED]: UDIDs and serials are unique and shaped like a Mac's", () => {
    const fleet = generateFleetSpecs(7, 500);
    expect(new Set(fleet.map((m) => m.udid)).size).toBe(500);
    expect(new Set(fleet.map((m) => m.serialNumber)).size).toBe(500);
    for (const m of fleet) {
      expect(m.udid).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
      expect(m.serialNumber).toMatch(m.model.architecture === "arm64" ? /^[0-9A-Z]{10}$/ : /^C02[0-9A-Z]{9}$/);
      expect(m.deviceName.length).toBeGreaterThan(3);
    }
  });

  it("[SIM][SEED]: about 70 % Apple silicon, macOS 12–15 only, never older than the model", () => {
    for (const seed of [1, 2, 3, 99]) {
      const fleet = generateFleetSpecs(seed, 200);
      const arm = fleet.filter((m) => m.model.architecture === "arm64").length / fleet.length;
      expect(arm).toBeGreaterThanOrEqual(0.6);
      expect(arm).toBeLessThanOrEqual(0.8);
      for (const m of fleet) {
        expect(osMajor(m.os.version)).toBeGreaterThanOrEqual(12);
        expect(osMajor(m.os.version)).toBeLessThanOrEqual(15);
        expect(compareVersions(m.os.version, m.model.minimumOs)).toBeGreaterThanOrEqual(0);
      }
      const majors = new Set(fleet.map((m) => osMajor(m.os.version)));
      expect([...majors].sort()).toEqual([12, 13, 14, 15]);
    }
  });

  it("[SIM][SEED]: Apple apps on every Mac, a random subset of third-party apps, some of them outdated", () => {
    const fleet = generateFleetSpecs(5, 200);
    for (const m of fleet) {
      const ids = m.apps.map((a) => a.identifier);
      expect(ids).toContain("com.apple.Safari");
      expect(new Set(ids).size).toBe(ids.length);
    }
    const chrome = fleet.flatMap((m) => m.apps.filter((a) => a.identifier === "com.google.Chrome"));
    expect(chrome.length).toBeGreaterThan(120);
    expect(chrome.length).toBeLessThan(200);
    const current = THIRD_PARTY_APPS.find((a) => a.identifier === "com.google.Chrome")!.versions[0]![0];
    const outdated = chrome.filter((a) => a.shortVersion !== current).length;
    expect(outdated).toBeGreaterThan(10);
    expect(outdated).toBeLessThan(chrome.length / 2);
    const sonoma12 = fleet.find((m) => osMajor(m.os.version) === 12)!;
    expect(sonoma12.apps.find((a) => a.identifier === "com.apple.systempreferences")?.name).toBe("System Preferences");
  });
});

describe("seeded randomness and availability", () => {
  it("[SIM][SEED]: mulberry32 is deterministic and spread out", () => {
    const a = new Rng(123);
    const b = new Rng(123);
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(Array.from({ length: 1000 }, () => b.next())).toEqual(xs);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
    expect(deriveSeed(1, "mac", 1)).not.toBe(deriveSeed(1, "mac", 2));
    expect(new Rng(1).uuid()).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/);
  });

  it("[SIM][OFFLINE]: a configurable share is offline at any moment, in rotating windows", () => {
    const start = 1_000_000;
    const windowMs = 60_000;
    const schedules = Array.from({ length: 400 }, (_, i) => createOfflineSchedule({ seed: 9, key: i, startMs: start, offlineRate: 0.25, windowMs }));
    for (const t of [start, start + 5 * windowMs, start + 17.5 * windowMs]) {
      const share = schedules.filter((s) => s.isOffline(t)).length / schedules.length;
      expect(share).toBeGreaterThan(0.17);
      expect(share).toBeLessThan(0.33);
    }
    // Windows rotate: who is offline changes over time.
    const who = (t: number) => schedules.map((s) => s.isOffline(t));
    expect(who(start)).not.toEqual(who(start + 3 * windowMs));
    // nextOnlineAt is online, and nothing before it is.
    for (const s of schedules.slice(0, 50)) {
      const t = s.nextOnlineAt(start);
      expect(s.isOffline(t)).toBe(false);
      if (t > start) expect(s.isOffline(t - 1)).toBe(true);
    }
  });

  it("[SIM][OFFLINE]: a holiday keeps a Mac offline for its whole length", () => {
    const s = createOfflineSchedule({ seed: 1, key: 0, startMs: 0, offlineRate: 0, windowMs: 1000, holiday: { fromMs: 500, untilMs: 50_000 } });
    expect(s.isOffline(499)).toBe(false);
    expect(s.isOffline(500)).toBe(true);
    expect(s.isOffline(49_999)).toBe(true);
    expect(s.isOffline(50_000)).toBe(false);
    expect(s.nextOnlineAt(1000)).toBe(50_000);
  });
});

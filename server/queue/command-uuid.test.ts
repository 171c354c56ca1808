import { describe, expect, it } from "vitest";

import { newCommandUuid } from "./command-uuid";

describe("newCommandUuid (UUIDv7)", () => {
  it("is an upper-case RFC 9562 version 7 UUID whose first 48 bits are the instant's milliseconds", () => {
    const at = new Date("2026-11-24T22:30:00.123Z");
    const uuid = newCommandUuid(at);
    expect(uuid).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-7[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/);
    expect(parseInt(uuid.replace(/-/g, "").slice(0, 12), 16)).toBe(at.getTime());
  });

  it("sorts by the instant, and never repeats within one instant", () => {
    const base = new Date("2026-11-24T00:00:00Z").getTime();
    const made: { at: number; uuid: string }[] = [];
    for (let i = 0; i < 2000; i++) made.push({ at: base + ((i * 7919) % 500), uuid: newCommandUuid(new Date(base + ((i * 7919) % 500))) });
    const byUuid = [...made].sort((a, b) => (a.uuid < b.uuid ? -1 : 1));
    for (let i = 1; i < byUuid.length; i++) expect(byUuid[i]!.at).toBeGreaterThanOrEqual(byUuid[i - 1]!.at);
    const same = new Date(base);
    const many = new Set(Array.from({ length: 100_000 }, () => newCommandUuid(same)));
    expect(many.size).toBe(100_000); // a counter, then 48 random bits drawn from a pool refilled as it runs out
  });

  it("sorts in the order made within one instant (a pass queues all its commands at one now)", () => {
    const same = new Date("2026-11-24T12:00:00.000Z");
    const made = Array.from({ length: 50_000 }, () => newCommandUuid(same));
    for (let i = 1; i < made.length; i++) expect(made[i]! > made[i - 1]!).toBe(true);
    // Still the instant, and still not guessable from the one before: the last 48 bits differ at random.
    for (const uuid of made.slice(0, 100)) expect(parseInt(uuid.replace(/-/g, "").slice(0, 12), 16)).toBe(same.getTime());
    const tails = new Set(made.map((u) => u.slice(-12)));
    expect(tails.size).toBe(made.length);
    // A later instant starts a new counter, after every UUID of the earlier one.
    const later = newCommandUuid(new Date(same.getTime() + 1));
    expect(later > made[made.length - 1]!).toBe(true);
    expect(newCommandUuid(new Date(same.getTime() + 1)) > later).toBe(true);
  });
});

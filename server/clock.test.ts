import { describe, expect, it } from "vitest";

import { createSimulatedClock, HOUR, type ClockAnchor } from "./clock";

describe("simulated clock", () => {
  const start = new Date("2026-01-05T09:00:00.000Z");

  it("stands still until advanced", () => {
    let real = 1_000;
    const clock = createSimulatedClock({ start, realTime: () => real });
    real += 60_000;
    expect(clock.now().toISOString()).toBe(start.toISOString());
    expect(clock.advance(6 * HOUR).toISOString()).toBe("2026-01-05T15:00:00.000Z");
  });

  it("runs `scale` times faster than real time when scaled", () => {
    let real = 0;
    const clock = createSimulatedClock({ start, scale: 360, realTime: () => real });
    real += 60_000; // one real minute = six simulated hours
    expect(clock.now().toISOString()).toBe("2026-01-05T15:00:00.000Z");
  });

  it("refuses to go backwards", () => {
    const clock = createSimulatedClock({ start });
    expect(() => clock.advance(-1)).toThrow(/only moves forward/);
  });

  it("keeps its anchor in a store, so a new instance continues from it", () => {
    let saved: ClockAnchor | undefined;
    const store = { load: () => saved, save: (a: ClockAnchor) => void (saved = a) };
    const real = 5_000;
    const first = createSimulatedClock({ start, store, realTime: () => real });
    first.advance(2 * HOUR);
    const second = createSimulatedClock({ start: new Date(0), store, realTime: () => real });
    expect(second.now().toISOString()).toBe("2026-01-05T11:00:00.000Z");
  });
});

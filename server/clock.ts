// The one injected clock (STYLE §3.6). The only file allowed to read the machine's time.

export type Clock = { now(): Date };

/** A clock tests and the demo can move. `scale` > 0 makes it also run that many times faster than real time. */
export type SimulatedClock = Clock & {
  readonly kind: "simulated";
  advance(ms: number): Date;
  set(at: Date): void;
  readonly scale: number;
};

/** Where a simulated clock keeps its anchor, so every part of the process (and a restart) reads the same time. */
export type ClockStore = {
  load(): ClockAnchor | undefined;
  save(anchor: ClockAnchor): void;
};

export type ClockAnchor = { simulatedMs: number; realMs: number; scale: number };

export const systemClock: Clock = { now: () => new Date() };

const realNow = () => Date.now();

export function createSimulatedClock(options: { start?: Date; scale?: number; store?: ClockStore; realTime?: () => number } = {}): SimulatedClock {
  const real = options.realTime ?? realNow;
  const scale = options.scale ?? 0;
  const stored = options.store?.load();
  // A stored anchor wins over `start`: a restarted demo continues where it was.
  let anchor: ClockAnchor = stored
    ? { simulatedMs: stored.simulatedMs + (real() - stored.realMs) * stored.scale, realMs: real(), scale }
    : { simulatedMs: (options.start ?? new Date(real())).getTime(), realMs: real(), scale };
  options.store?.save(anchor);

  const nowMs = () => anchor.simulatedMs + (real() - anchor.realMs) * anchor.scale;
  const reanchor = (simulatedMs: number) => {
    anchor = { simulatedMs, realMs: real(), scale: anchor.scale };
    options.store?.save(anchor);
  };

  return {
    kind: "simulated",
    scale,
    now: () => new Date(Math.floor(nowMs())),
    advance(ms) {
      if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`A simulated clock only moves forward (got ${ms} ms)`);
      reanchor(nowMs() + ms);
      return new Date(Math.floor(nowMs()));
    },
    set(at) {
      reanchor(at.getTime());
    },
  };
}

export function isSimulatedClock(clock: Clock): clock is SimulatedClock {
  return (clock as Partial<SimulatedClock>).kind === "simulated";
}

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

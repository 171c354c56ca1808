// Benchmark parameters: `--smoke` (10,000 Macs, a few seconds per phase) and full (100,000 Macs, the
// durations the goals name). Every figure a phase uses comes from here, so a run's JSON records them all.
import path from "node:path";

export type Mode = "smoke" | "full";

export type BenchConfig = {
  mode: Mode;
  /** Enrolled Macs in the snapshot. */
  macs: number;
  /** Share of Macs with one queued DeviceInformation in the snapshot (the Acknowledged part of the mix). */
  queuedShare: number;
  /** Seed of the virtual fleet (simulator/catalog.ts generateMacSpecs). */
  seed: number;
  smartGroups: number;
  deployments: number;
  /** Closed loop (G1, B0, B1): connections, warm-up and measured seconds. */
  g1: { connections: number; warmupS: number; seconds: number };
  /** Open loop (G2): requests per second and seconds, after a warm-up at the same rate (reported apart, not counted). */
  g2: { rate: number; seconds: number; maxInFlight: number; graceS: number; warmupS: number };
  /** G3: drain budget, tick interval of the scheduler loop, push pacing and concurrent Mac sessions. */
  g3: { budgetS: number; tickMs: number; pushesPerSecond: number; sessions: number };
  /** G5: computers sampled. */
  g5: { samples: number };
  /** G6: the small fleet used to subtract the server's fixed memory. */
  g6: { smallMacs: number; seconds: number };
  /**
   * G8: enrollments wanted, time budget (the rest is projected), concurrent Macs: as many as G3's sessions
   * (until session 22, 16; the machine then sat idle a fifth of the storm between one Mac's steps and the next's).
   */
  g8: { enrollments: number; budgetS: number; concurrency: number };
  /** G9: soak rate and seconds, after a warm-up at the same rate that no window counts. */
  g9: { rate: number; seconds: number; maxInFlight: number; warmupS: number };
};

export function configFor(mode: Mode, overrides: { macs?: number } = {}): BenchConfig {
  const smoke = mode === "smoke";
  return {
    mode,
    macs: overrides.macs ?? (smoke ? 10_000 : 100_000),
    queuedShare: 0.25,
    seed: 2026,
    smartGroups: 200,
    deployments: 200,
    g1: { connections: 32, warmupS: smoke ? 1 : 5, seconds: smoke ? 6 : 60 },
    g2: { rate: 1000, seconds: smoke ? 5 : 60, maxInFlight: 1024, graceS: smoke ? 3 : 10, warmupS: smoke ? 2 : 5 },
    g3: { budgetS: smoke ? 40 : 180, tickMs: 1000, pushesPerSecond: 1000, sessions: 64 },
    g5: { samples: smoke ? 1000 : 5000 },
    g6: { smallMacs: 200, seconds: smoke ? 6 : 60 },
    g8: { enrollments: 10_000, budgetS: smoke ? 20 : 120, concurrency: 64 },
    g9: { rate: 2000, seconds: smoke ? 30 : 300, maxInFlight: 1024, warmupS: smoke ? 5 : 30 },
  };
}

export const BENCH_DIR = path.join(process.cwd(), "bench");
export const CACHE_DIR = path.join(BENCH_DIR, ".cache");
export const WORK_DIR = path.join(CACHE_DIR, "work");
export const RESULTS_DIR = path.join(BENCH_DIR, "results");

/** Bumped whenever the seed changes shape, so old snapshots are not reused. */
export const SEED_VERSION = 2; // 2: the fleet's identities hold a P-256 key, as Pomona issues (1: RSA-2048)

export const snapshotPath = (macs: number) => path.join(CACHE_DIR, `snapshot-v${SEED_VERSION}-${macs}.db`);
export const fleetPath = (macs: number) => path.join(CACHE_DIR, `fleet-v${SEED_VERSION}-${macs}.jsonl`);
export const fleetMetaPath = (macs: number) => path.join(CACHE_DIR, `fleet-v${SEED_VERSION}-${macs}.meta.json`);

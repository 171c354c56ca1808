// WAL checkpoints as their own event-loop task, a little at a time (reliability-security.md §3; issue #8).
//
// SQLite's automatic checkpoint runs inside the commit that crosses `wal_autocheckpoint` pages: whichever
// request or engine slice commits then pays for copying the WAL into the database and two fsyncs that grow
// with the dirty pages (at the default 1,000 pages ~10 ms on this machine: fsync alone takes 3.3 ms per
// 1,000 dirty pages, 0.2 ms per 10). G5's write p99 was that checkpoint.
//
// So the server runs a PASSIVE checkpoint as a task of its own, between requests and between an engine
// pass's slices, and nothing when there is nothing to copy. SQLite's automatic checkpoint stays at its
// default as the bound while no timer can run (a long synchronous transaction) or writes outrun the pacing.
//
// Pacing: CHECKPOINT_INTERVAL_MS apart at the least (what 20 ms of writes dirtied, about a millisecond at
// G1's rate), and further apart when a checkpoint is slow, so that checkpoints hold at most CHECKPOINT_SHARE
// of the event loop. A checkpoint costs about 0.5 ms plus ~40 µs per WAL frame (measured here), and the
// frames of consecutive commits overlap (a table's last page, an index's hot leaves), so fewer, larger
// checkpoints copy less: in the enrollment storm (G8), every 20 ms they took 22.5 % of the event loop, paced
// 9.4 %. But never so far apart that the WAL reaches SQLite's own mark in between: then the automatic
// checkpoint runs inside some commit, which is what this module is for avoiding (G5's write p99 went from
// 5.5 to 34.6 ms when only the share paced them). Each checkpoint reports the WAL's frames, which gives the
// write rate, and the next comes before half the mark at that rate.
//
// Measured at 100k Macs with a fixed 20 ms: G5's write p99 10.6 → 2.4 ms; G2's p99 13.1 ms. Tried before:
// the automatic checkpoint at 100 pages (G5 4.5–5 ms, but G1 4,179 req/s and G2's p99 19.7 ms); checkpoints
// on a worker thread with a connection of its own (p99.9 stalls of 20 ms, and a WAL that only grows unless
// the main connection keeps a bound: a checkpoint racing the writer never back-fills the last frames, and
// SQLite restarts the WAL only after one that does).
import { performance } from "node:perf_hooks";

import { WAL_AUTOCHECKPOINT_PAGES, type Db } from "./client";

export const CHECKPOINT_INTERVAL_MS = 20;
/** The most of the event loop's time that checkpoints may take while writes keep coming. */
export const CHECKPOINT_SHARE = 0.1;
/**
 * The longest wait between two checkpoints: one slow fsync (the VM's disk stalled one for 206 ms under G1)
 * must not hold the next back for a second, when SQLite's own would fire inside some request's commit.
 */
export const CHECKPOINT_MAX_GAP_MS = 250;

export type CheckpointStats = { count: number; totalMs: number; maxMs: number };
export type Checkpoints = { stop(): void; stats(): CheckpointStats };
export type CheckpointPacing = { intervalMs: number; share: number; maxGapMs: number; maxFrames: number };
/** What the last checkpoint saw: how long it took, and the WAL frames written in the `sinceMs` before it. */
export type LastCheckpoint = { tookMs: number; frames: number; sinceMs: number };

/**
 * The wait before the next checkpoint: long enough that a checkpoint and the wait after it hold the event
 * loop for at most `share` of their time, short enough that the WAL, at the last checkpoint's write rate,
 * stays under `maxFrames`; never under the interval nor over the longest gap.
 */
export function nextCheckpointDelay(last: LastCheckpoint, pacing: CheckpointPacing): number {
  const fair = (last.tookMs * (1 - pacing.share)) / pacing.share;
  const framesPerMs = last.sinceMs > 0 ? last.frames / last.sinceMs : 0;
  const beforeMark = framesPerMs > 0 ? pacing.maxFrames / framesPerMs : Infinity;
  return Math.max(pacing.intervalMs, Math.min(fair, beforeMark, pacing.maxGapMs));
}

/** Starts the paced checkpoints on `db`'s connection (nothing to do for an in-memory database). */
export function startCheckpoints(db: Db, options: Partial<CheckpointPacing> & { onError?: (error: unknown) => void } = {}): Checkpoints {
  const stats: CheckpointStats = { count: 0, totalMs: 0, maxMs: 0 };
  if (db.$client.memory) return { stop: () => {}, stats: () => stats };
  const pacing: CheckpointPacing = {
    intervalMs: options.intervalMs ?? CHECKPOINT_INTERVAL_MS,
    share: options.share ?? CHECKPOINT_SHARE,
    maxGapMs: options.maxGapMs ?? CHECKPOINT_MAX_GAP_MS,
    maxFrames: options.maxFrames ?? WAL_AUTOCHECKPOINT_PAGES / 2,
  };
  const checkpoint = db.$client.prepare("PRAGMA wal_checkpoint(PASSIVE)");
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let previousAt = performance.now();
  const run = () => {
    const last: LastCheckpoint = { tookMs: 0, frames: 0, sinceMs: 0 };
    // A transaction held across an await is left alone: next time.
    if (db.$client.open && !db.$client.inTransaction) {
      const start = performance.now();
      try {
        // `log`: the frames in the WAL. The first write after a checkpoint that copied them all restarts the
        // WAL, so while writes come these are the frames written since the last checkpoint; when none came,
        // the old count overstates the rate, which only keeps the interval.
        last.frames = (checkpoint.get() as { log: number } | undefined)?.log ?? 0;
      } catch (e) {
        options.onError?.(e);
      }
      const end = performance.now();
      last.tookMs = end - start;
      last.sinceMs = start - previousAt;
      previousAt = end;
      stats.count++;
      stats.totalMs += last.tookMs;
      if (last.tookMs > stats.maxMs) stats.maxMs = last.tookMs;
    }
    if (stopped || !db.$client.open) return;
    timer = setTimeout(run, nextCheckpointDelay(last, pacing));
    timer.unref(); // never what keeps the process alive
  };
  timer = setTimeout(run, pacing.intervalMs);
  timer.unref();
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
    stats: () => ({ ...stats }),
  };
}

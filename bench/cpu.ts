// CPU time spent by a process (all its threads: the event loop, libuv's thread pool, V8's helpers) and by its
// main thread alone, read from /proc. A closed loop's throughput on this VM moves by a quarter between runs of
// one tree; the CPU each request costs the server and the load generator is what a change to either moves,
// and their sum against the cores says how far the two share the machine (bench/README.md, G1).
import fs from "node:fs";
import os from "node:os";
import { performance } from "node:perf_hooks";

/** Linux's USER_HZ: /proc reports CPU times in these ticks (100 on every Linux ABI Node runs on). */
const TICKS_PER_SECOND = 100;

/** utime + stime (ms) from a /proc …/stat line; the command name in parentheses may hold spaces. */
export function cpuMsOfStat(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // After the name, field 3 (state) is index 0: utime is field 14, stime field 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`unreadable /proc stat line: ${stat.slice(0, 80)}`);
  return ((utime + stime) * 1000) / TICKS_PER_SECOND;
}

export type CpuReading = { processMs: number; mainThreadMs: number };

/** The CPU a process has used so far, in all and on its main thread; undefined where /proc is not there. */
export function readCpu(pid: number): CpuReading | undefined {
  try {
    return {
      processMs: cpuMsOfStat(fs.readFileSync(`/proc/${pid}/stat`, "utf8")),
      mainThreadMs: cpuMsOfStat(fs.readFileSync(`/proc/${pid}/task/${pid}/stat`, "utf8")),
    };
  } catch {
    return undefined;
  }
}

/** CPU per request over a timed window, in µs: the server's process and main thread, and the load generator. */
export type CpuPerRequest = { serverUs: number; serverMainUs: number; loaderUs: number };

/** Starts a window; `end(requests)` gives each process's CPU per request over it. */
export function cpuWindow(serverPid: number): { end(requests: number): CpuPerRequest | undefined } {
  const server = readCpu(serverPid);
  const loader = readCpu(process.pid);
  return {
    end(requests) {
      const serverAfter = readCpu(serverPid);
      const loaderAfter = readCpu(process.pid);
      if (!server || !loader || !serverAfter || !loaderAfter || requests === 0) return undefined;
      const per = (ms: number) => (ms * 1000) / requests;
      return { serverUs: per(serverAfter.processMs - server.processMs), serverMainUs: per(serverAfter.mainThreadMs - server.mainThreadMs), loaderUs: per(loaderAfter.processMs - loader.processMs) };
    },
  };
}

/**
 * A thread's time on a core and its time runnable but waiting for one (in the run queue), in ms, from its
 * /proc …/schedstat line: "run_ns wait_ns timeslices". The wait is what sharing the cores costs it: a phase
 * whose server thread waits for a core is bound by the machine, one whose thread is idle by something else.
 */
export function schedMsOf(line: string): { runMs: number; waitMs: number } {
  const [run, wait] = line.trim().split(/\s+/).map(Number);
  if (!Number.isFinite(run) || !Number.isFinite(wait)) throw new Error(`unreadable /proc schedstat line: ${line.slice(0, 80)}`);
  return { runMs: run! / 1e6, waitMs: wait! / 1e6 };
}

/** Busy and total time of all cores, in ticks, from /proc/stat's "cpu" line (busy: all but idle and iowait). */
export function machineTicksOf(stat: string): { busy: number; total: number } {
  const line = stat.split("\n").find((l) => l.startsWith("cpu "));
  const ticks = line?.trim().split(/\s+/).slice(1).map(Number) ?? [];
  if (ticks.length < 5 || ticks.some((t) => !Number.isFinite(t))) throw new Error(`unreadable /proc/stat: ${stat.slice(0, 80)}`);
  // user nice system idle iowait irq softirq steal guest guest_nice; guest time is already in user.
  const total = ticks.slice(0, 8).reduce((a, t) => a + t, 0);
  return { busy: total - ticks[3]! - ticks[4]!, total };
}

type ThreadShare = { run: number; wait: number };
/** Shares of a window's wall time: each event-loop thread on a core and waiting for one; each process's cores. */
export type CoreShares = { seconds: number; cores: number; serverMain: ThreadShare; serverCores: number; loaderMain: ThreadShare; loaderCores: number; machineBusy: number };

function readWindowPoint(serverPid: number) {
  const server = readCpu(serverPid);
  const loader = readCpu(process.pid);
  if (!server || !loader) return undefined;
  try {
    return {
      at: performance.now(),
      serverMain: schedMsOf(fs.readFileSync(`/proc/${serverPid}/task/${serverPid}/schedstat`, "utf8")),
      loaderMain: schedMsOf(fs.readFileSync(`/proc/${process.pid}/task/${process.pid}/schedstat`, "utf8")),
      server,
      loader,
      machine: machineTicksOf(fs.readFileSync("/proc/stat", "utf8")),
    };
  } catch {
    return undefined;
  }
}

/** Starts a window over which `end()` gives where the two processes' time went (undefined without /proc). */
export function coreWindow(serverPid: number): { end(): CoreShares | undefined } {
  const from = readWindowPoint(serverPid);
  return {
    end() {
      const to = readWindowPoint(serverPid);
      if (!from || !to) return undefined;
      const wall = to.at - from.at;
      if (wall <= 0) return undefined;
      const share = (a: { runMs: number; waitMs: number }, b: { runMs: number; waitMs: number }) => ({ run: (b.runMs - a.runMs) / wall, wait: (b.waitMs - a.waitMs) / wall });
      return {
        seconds: wall / 1000,
        cores: os.availableParallelism(),
        serverMain: share(from.serverMain, to.serverMain),
        serverCores: (to.server.processMs - from.server.processMs) / wall,
        loaderMain: share(from.loaderMain, to.loaderMain),
        loaderCores: (to.loader.processMs - from.loader.processMs) / wall,
        machineBusy: (to.machine.busy - from.machine.busy) / Math.max(1, to.machine.total - from.machine.total),
      };
    },
  };
}

const pct = (x: number) => `${Math.round(x * 100)} %`;
/** The window's shares as a sentence for a phase's notes. */
export function describeCores(c: CoreShares): string {
  return (
    `the server's event-loop thread was on a core ${pct(c.serverMain.run)} of the time and waiting for one ${pct(c.serverMain.wait)} (the rest idle or blocked), ` +
    `its process used ${c.serverCores.toFixed(2)} cores; the load generator's event-loop thread ${pct(c.loaderMain.run)} on a core and ${pct(c.loaderMain.wait)} waiting, ` +
    `its process ${c.loaderCores.toFixed(2)} cores; the machine's ${c.cores} cores were ${pct(c.machineBusy)} busy (/proc)`
  );
}

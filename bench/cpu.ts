// CPU time spent by a process (all its threads: the event loop, libuv's thread pool, V8's helpers) and by its
// main thread alone, read from /proc. A closed loop's throughput on this VM moves by a quarter between runs of
// one tree; the CPU each request costs the server and the load generator is what a change to either moves,
// and their sum against the cores says how far the two share the machine (bench/README.md, G1).
import fs from "node:fs";

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

import { describe, expect, it } from "vitest";

import { cpuMsOfStat, readCpu } from "./cpu";

describe("bench CPU accounting", () => {
  it("reads utime + stime from a /proc stat line whose command name holds spaces and parentheses", () => {
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime …
    const line = "4242 (node (worker) x) R 1 4242 4242 0 -1 4194304 120 0 0 0 250 75 0 0 20 0 11 0";
    expect(cpuMsOfStat(line)).toBe((250 + 75) * 10);
    expect(() => cpuMsOfStat("4242 (node) R 1")).toThrow(/unreadable/);
  });

  it.runIf(process.platform === "linux")("counts this process's CPU, its main thread's within it, and grows with work", () => {
    const before = readCpu(process.pid)!;
    const until = performance.now() + 120;
    let x = 0;
    while (performance.now() < until) x += Math.sqrt(x + 1);
    const after = readCpu(process.pid)!;
    expect(x).toBeGreaterThan(0);
    expect(after.mainThreadMs).toBeLessThanOrEqual(after.processMs);
    expect(after.mainThreadMs - before.mainThreadMs).toBeGreaterThanOrEqual(50);
    expect(readCpu(2 ** 30)).toBeUndefined();
  });
});

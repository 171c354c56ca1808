import { describe, expect, it } from "vitest";

import { coreWindow, cpuMsOfStat, describeCores, machineTicksOf, readCpu, schedMsOf } from "./cpu";

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

  it("reads a thread's time on a core and waiting for one from schedstat, and the cores' busy time from /proc/stat", () => {
    expect(schedMsOf("1500000000 250000000 812\n")).toEqual({ runMs: 1500, waitMs: 250 });
    expect(() => schedMsOf("")).toThrow(/unreadable/);
    // user nice system idle iowait irq softirq steal guest guest_nice: idle and iowait are not busy.
    const stat = "cpu  600 10 200 900 50 0 40 0 0 0\ncpu0 300 5 100 450 25 0 20 0 0 0\nintr 1\n";
    expect(machineTicksOf(stat)).toEqual({ busy: 850, total: 1800 });
    expect(() => machineTicksOf("intr 1\n")).toThrow(/unreadable/);
  });

  it.runIf(process.platform === "linux")("a window over busy work finds the event-loop thread on a core, and says so", () => {
    // This process stands for the server too: its event-loop thread is the one spinning.
    const window = coreWindow(process.pid);
    const until = performance.now() + 200;
    let x = 0;
    while (performance.now() < until) x += Math.sqrt(x + 1);
    const shares = window.end()!;
    expect(x).toBeGreaterThan(0);
    expect(shares.seconds).toBeGreaterThanOrEqual(0.2);
    // On a core, or runnable and waiting for one, nearly all of the window (a shared CI machine may preempt it).
    expect(shares.serverMain.run + shares.serverMain.wait).toBeGreaterThan(0.8);
    expect(shares.serverMain.run).toBeLessThanOrEqual(1.05);
    expect(shares.loaderCores).toBeGreaterThanOrEqual(shares.loaderMain.run - 0.05);
    expect(shares.machineBusy).toBeGreaterThan(0);
    expect(shares.machineBusy).toBeLessThanOrEqual(1);
    expect(describeCores(shares)).toMatch(/event-loop thread was on a core \d+ % of the time and waiting for one \d+ %/);
    expect(coreWindow(2 ** 30).end()).toBeUndefined();
  });
});

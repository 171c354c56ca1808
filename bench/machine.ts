// What this machine charges for what a server does besides computing: entering the kernel, a fresh page of
// memory, an fdatasync, a P-256 verification, a trip to the thread pool, and a plain JavaScript loop for the
// CPU's own speed. Taken at the start and at the end of every run, so that a run says which machine, and
// which period of it, it had.
//
// Why: the development VM changed under the benchmark (an Intel Xeon, then an AMD EPYC VM whose kernel runs
// paravirtualized, "pvm" in its boot line), and on the second the same tree measured 2–4× slower on what
// enters the kernel (G1 5,202 → 1,195 req/s) while plain JavaScript lost far less (B3 44.6 → 87.4 s). On it
// a system call costs ~1 µs and a first touch of a page ~10 µs, measured in C (typical bare-metal Linux:
// ~0.1 and ~0.25 µs), and its speed swings within minutes (B1 1,432 → 891 req/s ten minutes apart).
// Figures from two runs compare only with these beside them.
import { generateKeyPairSync, randomFill, sign, verify } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";

export type MachineProbe = {
  /** One fstat(2) from JavaScript, µs: the system call, and the binding that makes its Stats object. */
  fstatUs: number;
  /** One first write to a fresh 4 KiB page of a 64 MiB allocation, µs (a minor page fault). */
  pageFaultUs: number;
  /** 4 KiB written then fdatasync'd, the median of 40, ms. */
  fdatasyncMs: number;
  /** One P-256 ECDSA verification (SHA-256) on this thread, µs. */
  p256VerifyUs: number;
  /** A fixed 20-million-step integer loop, ms: the CPU's speed for plain JavaScript. */
  jsLoopMs: number;
  /** A trip to libuv's thread pool and back (a 1-byte randomFill), the median of 500, µs: a signature check's hop. */
  poolHopUs: number;
};

const PAGE = 4096;

function perCall(n: number, fn: () => void): number {
  for (let i = 0; i < Math.min(n, 2_000); i++) fn();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn();
  return (performance.now() - t0) / n;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** A loop V8 cannot fold away: its result depends on every step. */
function jsLoop(steps: number): number {
  let x = 1;
  for (let i = 0; i < steps; i++) x = (Math.imul(x, 1664525) + 1013904223) | 0;
  return x;
}

async function poolHops(n: number): Promise<number[]> {
  const one = Buffer.alloc(1);
  const hops: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await new Promise((resolve) => randomFill(one, resolve));
    hops.push((performance.now() - t0) * 1000);
  }
  return hops;
}

/** Measures the machine; `dir` holds a small scratch file for the fdatasync (on the disk the phases use). */
export async function probeMachine(dir: string): Promise<MachineProbe> {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `probe-${process.pid}.bin`);
  const fd = fs.openSync(file, "w+");
  try {
    const fstatUs = perCall(20_000, () => fs.fstatSync(fd)) * 1000;

    // Above glibc's mmap threshold, so the pages are new to the process; one byte written per page.
    const faults: number[] = [];
    for (let round = 0; round < 3; round++) {
      const block = Buffer.allocUnsafeSlow(64 * 1024 * 1024);
      const t0 = performance.now();
      for (let at = 0; at < block.length; at += PAGE) block[at] = 1;
      faults.push(((performance.now() - t0) * 1000) / (block.length / PAGE));
    }

    const page = Buffer.alloc(PAGE, 7);
    const syncs: number[] = [];
    for (let i = 0; i < 40; i++) {
      fs.writeSync(fd, page, 0, PAGE, (i % 8) * PAGE);
      const t0 = performance.now();
      fs.fdatasyncSync(fd);
      syncs.push(performance.now() - t0);
    }

    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    const data = Buffer.from("the body of an Idle check-in, more or less");
    const signature = sign("sha256", data, privateKey);
    const p256VerifyUs = perCall(500, () => verify("sha256", data, publicKey, signature)) * 1000;

    jsLoop(1_000_000);
    const t0 = performance.now();
    if (jsLoop(20_000_000) === 0.5) console.log("unreachable"); // keeps the result alive
    const jsLoopMs = performance.now() - t0;

    await poolHops(100);
    const poolHopUs = median(await poolHops(500));

    return { fstatUs, pageFaultUs: median(faults), fdatasyncMs: median(syncs), p256VerifyUs, jsLoopMs, poolHopUs };
  } finally {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
  }
}

const fixed = (n: number, digits: number) => n.toFixed(digits);

/** One line for the console and the notes. */
export function describeProbe(p: MachineProbe): string {
  return `fstat from JS ${fixed(p.fstatUs, 2)} µs, page fault ${fixed(p.pageFaultUs, 1)} µs, fdatasync ${fixed(p.fdatasyncMs, 2)} ms, P-256 verify ${fixed(p.p256VerifyUs, 0)} µs, thread-pool round trip ${fixed(p.poolHopUs, 1)} µs, JS loop ${fixed(p.jsLoopMs, 1)} ms`;
}

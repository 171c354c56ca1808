import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { describe, expect, it } from "vitest";

import { describeProbe, probeMachine } from "./machine";

describe("bench machine probe", () => {
  it("measures every figure as a positive time, leaves no scratch file and says each with its unit", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pomona-probe-"));
    try {
      const probe = await probeMachine(dir);
      expect(Object.keys(probe).sort()).toEqual(["fdatasyncMs", "fstatUs", "jsLoopMs", "p256VerifyUs", "pageFaultUs", "poolHopUs"]);
      for (const [name, value] of Object.entries(probe)) {
        expect(Number.isFinite(value), name).toBe(true);
        expect(value, name).toBeGreaterThan(0);
      }
      expect(fs.readdirSync(dir)).toEqual([]);
      expect(describeProbe(probe)).toMatch(
        /^fstat from JS [\d.]+ µs, page fault [\d.]+ µs, fdatasync [\d.]+ ms, P-256 verify \d+ µs, thread-pool round trip [\d.]+ µs, JS loop [\d.]+ ms$/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

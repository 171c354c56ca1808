import fc from "fast-check";
import { describe, expect, it } from "vitest";

import { fuzzCases, checkCase } from "./fuzz";
import { createFuzzDeps } from "./fuzz-setup";

describe("fuzzing PUT /mdm", () => {
  it("answers 2,500 hostile and mutated bodies with 200 or 400 only, never throwing or polluting prototypes", async () => {
    const { deps, commandUuids } = await createFuzzDeps("none");
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fuzzCases(commandUuids), async (c) => {
        runs++;
        const verdict = await checkCase(deps, c);
        if (!verdict.ok) throw new Error(verdict.problem);
      }),
      { numRuns: 2500, seed: 20261124 },
    );
    expect(runs).toBeGreaterThanOrEqual(2500);
  });

  it("with device signatures on, 500 unsigned or badly signed bodies all get 400", async () => {
    const { deps } = await createFuzzDeps("signature");
    await fc.assert(
      fc.asyncProperty(fuzzCases(), async (c) => {
        const verdict = await checkCase(deps, c);
        if (!verdict.ok) throw new Error(verdict.problem);
      }),
      { numRuns: 500, seed: 7 },
    );
  });
});

// `npm run fuzz [-- --runs N --seed S]`: at least 100,000 cases against PUT /mdm; prints the count.
import fc from "fast-check";

import { checkCase, fuzzCases } from "@/server/mdm/fuzz";
import { createFuzzDeps } from "@/server/mdm/fuzz-setup";

const arg = (name: string) => process.argv[process.argv.indexOf(`--${name}`) + 1];
const runs = process.argv.includes("--runs") ? Number(arg("runs")) : 100_000;
const seed = process.argv.includes("--seed") ? Number(arg("seed")) : Date.now() % 2 ** 31;

const started = performance.now();
let done = 0;
const statuses = new Map<string, number>();
const { deps, commandUuids } = await createFuzzDeps("none");
const { deps: signed } = await createFuzzDeps("signature");
try {
  await fc.assert(
    fc.asyncProperty(fuzzCases(commandUuids), async (c) => {
      const verdict = await checkCase(done % 10 === 9 ? signed : deps, c);
      done++;
      const key = verdict.ok ? "ok" : "failed";
      statuses.set(key, (statuses.get(key) ?? 0) + 1);
      if (done % 10_000 === 0) process.stdout.write(`\r${done.toLocaleString()} cases`);
      if (!verdict.ok) throw new Error(verdict.problem);
    }),
    { numRuns: runs, seed, endOnFailure: true },
  );
  const seconds = (performance.now() - started) / 1000;
  console.log(`\rfuzz: ${done.toLocaleString()} cases in ${seconds.toFixed(1)} s (seed ${seed}), 0 failures`);
  console.log(`${done} passed, 0 failed`);
} catch (e) {
  console.error(`\nfuzz: FAILED after ${done} cases (seed ${seed}):\n${(e as Error).message}`);
  console.log(`${done - 1} passed, 1 failed`);
  process.exit(1);
}

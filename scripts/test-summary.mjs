// Prints one closing line for the whole suite from Vitest's and Playwright's JSON reports.
import fs from "node:fs";

const read = (file) => (fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : undefined);
const unit = read("test-results/vitest.json");
const e2e = read("e2e/.artifacts/results.json");

let passed = 0;
let failed = 0;
let skipped = 0;
if (unit) {
  passed += unit.numPassedTests;
  failed += unit.numFailedTests;
  skipped += unit.numPendingTests + (unit.numTodoTests ?? 0);
}
if (e2e) {
  passed += (e2e.stats.expected ?? 0) + (e2e.stats.flaky ?? 0);
  failed += e2e.stats.unexpected ?? 0;
  skipped += e2e.stats.skipped ?? 0;
}
console.log(`\nunit: ${unit ? `${unit.numPassedTests} passed` : "no report"}; e2e: ${e2e ? `${(e2e.stats.expected ?? 0) + (e2e.stats.flaky ?? 0)} passed` : "no report"}`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);

// CI's dependency gate (reliability-security.md §1): @xmldom/xmldom must be >= 0.9.12 everywhere in the
// lockfile (plist 5 only asks for ^0.9.10), the unscoped `xmldom` must not appear, and `npm audit
// --omit=dev` must report no high or critical advisory.
import { spawnSync } from "node:child_process";
import fs from "node:fs";

const problems = [];
const lock = JSON.parse(fs.readFileSync(new URL("../package-lock.json", import.meta.url), "utf8"));
const atLeast = (v, min) => {
  const a = v.split(".").map(Number);
  const b = min.split(".").map(Number);
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
};
let xmldom = 0;
for (const [path, entry] of Object.entries(lock.packages ?? {})) {
  if (path.endsWith("node_modules/@xmldom/xmldom")) {
    xmldom++;
    if (!atLeast(entry.version, "0.9.12")) problems.push(`${path} is ${entry.version}: need >= 0.9.12`);
  }
  if (path.endsWith("node_modules/xmldom")) problems.push(`${path}: the unscoped xmldom package is unmaintained and vulnerable`);
}
if (xmldom === 0) problems.push("@xmldom/xmldom is missing from package-lock.json");
console.log(`deps: @xmldom/xmldom ${xmldom} lock entr${xmldom === 1 ? "y" : "ies"}, all >= 0.9.12: ${problems.length === 0 ? "yes" : "no"}`);

const audit = spawnSync("npm", ["audit", "--omit=dev", "--json"], { encoding: "utf8" });
let report;
try {
  report = JSON.parse(audit.stdout);
} catch {
  report = undefined;
}
const counts = report?.metadata?.vulnerabilities;
if (counts) {
  console.log(`deps: npm audit --omit=dev: ${counts.critical} critical, ${counts.high} high, ${counts.moderate} moderate, ${counts.low} low`);
  if (counts.high > 0 || counts.critical > 0) problems.push(`npm audit reports ${counts.critical} critical and ${counts.high} high advisories`);
} else {
  // The registry mirror some machines use answers the audit endpoint with 405: say so, do not pretend.
  const reason = [report?.error?.summary, audit.stderr.match(/npm warn audit[^\n]*/)?.[0]].filter(Boolean).join("; ") || "no report";
  console.log(`deps: npm audit gave no report from this registry (${reason.replace(/https?:\/\/\S+/g, "<registry>").trim()}); advisories could not be checked here`);
}
if (problems.length) {
  console.error(`deps: FAILED\n  ${problems.join("\n  ")}`);
  process.exit(1);
}

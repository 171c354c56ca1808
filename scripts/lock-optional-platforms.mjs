// The npm mirror this project is developed against serves only Linux builds of platform-specific packages
// (@next/swc-*, @tailwindcss/oxide-*, …), so `npm install` leaves the other platforms' optional entries out
// of package-lock.json and npm 11's `npm ci` then refuses the lockfile as out of sync. This adds an entry
// (version only, optional) for every optional dependency the lockfile lacks, as a full registry would.
// Run after `npm install <pkg>`: node scripts/lock-optional-platforms.mjs
import fs from "node:fs";

const file = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(fs.readFileSync(file, "utf8"));
const packages = lock.packages;
let added = 0;
for (const [path, entry] of Object.entries(packages)) {
  for (const [name, range] of Object.entries(entry.optionalDependencies ?? {})) {
    const prefix = path === "" ? "" : `${path}/`;
    const candidates = [`${prefix}node_modules/${name}`, `node_modules/${name}`];
    if (candidates.some((c) => packages[c])) continue;
    const version = String(range).replace(/^[\^~=]/, "");
    if (!/^\d+\.\d+\.\d+/.test(version)) continue;
    const os = /darwin|linux|win32|freebsd|android|openbsd|sunos|aix/.exec(name)?.[0];
    const cpu = /arm64|x64|arm(?!64)|ia32|wasm32|riscv64|ppc64|s390x/.exec(name)?.[0];
    packages[`node_modules/${name}`] = { version, optional: true, ...(os ? { os: [os] } : {}), ...(cpu ? { cpu: [cpu] } : {}) };
    added++;
  }
}
const sorted = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b))));
lock.packages = sorted;
fs.writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`lock-optional-platforms: added ${added} optional platform entries`);

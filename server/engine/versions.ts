// Version comparison for macOS and app versions (DESIGN §2.1, §3.3): numeric per dot-separated component.

/**
 * The numeric components of a version string. Reads the leading dotted run and ignores what follows it,
 * so "14.5 (23F79)" is [14, 5] and "6.2.11 (43613)" is [6, 2, 11]. A component's trailing letters are
 * ignored ("1.2b3" is [1, 2]); a string with no leading digits has no components.
 */
export function parseVersion(version: string): readonly number[] {
  let parsed = parsedVersions.get(version);
  if (parsed === undefined) {
    const match = /^\s*v?(\d+(?:\.\d+)*)/i.exec(version);
    parsed = match?.[1] ? match[1].split(".").map((part) => Number.parseInt(part, 10)) : [];
    // An engine pass compares the same few hundred version strings millions of times: remember them.
    if (parsedVersions.size >= PARSED_VERSION_LIMIT) parsedVersions.clear();
    parsedVersions.set(version, parsed);
  }
  return parsed;
}

const PARSED_VERSION_LIMIT = 50_000;
const parsedVersions = new Map<string, readonly number[]>();

/** -1, 0 or 1. Missing components count as zero, so "13" equals "13.0" and "13.10" is above "13.9". */
export function compareVersions(a: string, b: string): -1 | 0 | 1 {
  const pa = parseVersion(a);
  const pb = parseVersion(b);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? 0;
    const y = pb[i] ?? 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

export function isVersionAtLeast(version: string, minimum: string): boolean {
  return compareVersions(version, minimum) >= 0;
}

/** Whether the string holds a version at all (at least one leading numeric component). */
export function isVersionLike(version: string): boolean {
  return parseVersion(version).length > 0;
}

/** The newest of a list of versions, or undefined for an empty list. Ties keep the first seen. */
export function newestVersion<T>(items: readonly T[], versionOf: (item: T) => string): T | undefined {
  let best: T | undefined;
  for (const item of items) if (best === undefined || compareVersions(versionOf(item), versionOf(best)) > 0) best = item;
  return best;
}

import { describe, expect, it } from "vitest";

import { compareVersions, isVersionAtLeast, isVersionLike, newestVersion, parseVersion } from "./versions";

describe("compareVersions", () => {
  it.each([
    ["13.10 is above 13.9", "13.10", "13.9", 1],
    ["13.9 is below 13.10", "13.9", "13.10", -1],
    ["missing components count as zero", "13", "13.0.0", 0],
    ["Chrome build numbers compare per component", "124.0.6367.91", "124.0.6367.9", 1],
    ["a build suffix in parentheses is ignored", "14.5 (23F79)", "14.5", 0],
    ["a suffix does not hide a real difference", "14.4.1 (23E224)", "14.5", -1],
    ["10.15 is below 11.0 numerically", "10.15", "11.0", -1],
    ["10.9 is below 10.15", "10.9", "10.15", -1],
    ["a beta suffix on a component is ignored", "1.2b3", "1.2", 0],
    ["a leading v is accepted", "v2.0", "2.0", 0],
    ["equal versions", "16.91", "16.91", 0],
  ] as const)("%s", (_name, a, b, expected) => {
    expect(compareVersions(a, b)).toBe(expected);
  });

  it("parses the leading dotted run", () => {
    expect(parseVersion("6.2.11 (43613)")).toEqual([6, 2, 11]);
    expect(parseVersion("build 7")).toEqual([]);
    expect(isVersionLike("build 7")).toBe(false);
    expect(isVersionLike("15.1")).toBe(true);
  });

  it("answers minimum-version questions", () => {
    expect(isVersionAtLeast("13.6.7", "14.0")).toBe(false);
    expect(isVersionAtLeast("14.0", "14.0")).toBe(true);
    expect(isVersionAtLeast("15.1", "14.0")).toBe(true);
  });

  it("finds the newest version in a list", () => {
    const list = [{ v: "130.0.6723.117" }, { v: "131.0.6778.86" }, { v: "128.0.6613.138" }];
    expect(newestVersion(list, (x) => x.v)?.v).toBe("131.0.6778.86");
    expect(newestVersion([], (x: { v: string }) => x.v)).toBeUndefined();
  });
});

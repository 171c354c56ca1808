import { describe, expect, it } from "vitest";

import { architectureFromModel, resolveArchitecture } from "./architecture";

describe("architectureFromModel", () => {
  it.each([
    ["Mac14,2", "arm64"],
    ["Mac15,3", "arm64"],
    ["MacBookAir10,1", "arm64"],
    ["MacBookAir9,1", "x86_64"],
    ["MacBookAir8,2", "x86_64"],
    ["MacBookPro17,1", "arm64"],
    ["MacBookPro18,3", "arm64"],
    ["MacBookPro16,1", "x86_64"],
    ["Macmini9,1", "arm64"],
    ["Macmini8,1", "x86_64"],
    ["iMac21,1", "arm64"],
    ["iMac20,1", "x86_64"],
    ["iMacPro1,1", "x86_64"],
    ["MacPro7,1", "x86_64"],
    ["VirtualMac2,1", "arm64"],
    ["iPhone15,2", undefined],
    ["", undefined],
  ] as const)("%s → %s", (model, expected) => {
    expect(architectureFromModel(model)).toBe(expected);
  });

  it("prefers IsAppleSilicon when the Mac reports it", () => {
    expect(resolveArchitecture({ isAppleSilicon: false, model: "Mac14,2" })).toBe("x86_64");
    expect(resolveArchitecture({ isAppleSilicon: true })).toBe("arm64");
    expect(resolveArchitecture({ model: "MacBookPro16,1" })).toBe("x86_64");
    expect(resolveArchitecture({})).toBeUndefined();
  });
});

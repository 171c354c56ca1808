// A Mac's architecture (DESIGN §4.1): from DeviceInformation's IsAppleSilicon (macOS 12+), else its model identifier.

export type Architecture = "arm64" | "x86_64";

/**
 * Model identifiers of Apple silicon Macs: the "MacN,M" family (2022 on), and the first M1/M1 Pro/Max
 * generations that kept the old family names (MacBookAir10, MacBookPro17–18, Macmini9, iMac21, VirtualMac).
 */
const APPLE_SILICON_FAMILIES: [RegExp, number][] = [
  [/^Mac(\d+),\d+$/, 13],
  [/^MacBookAir(\d+),\d+$/, 10],
  [/^MacBookPro(\d+),\d+$/, 17],
  [/^Macmini(\d+),\d+$/, 9],
  [/^iMac(\d+),\d+$/, 21],
  [/^VirtualMac(\d+),\d+$/, 1],
];

/** The architecture a model identifier implies, or undefined when the identifier is not a Mac's. */
export function architectureFromModel(model: string): Architecture | undefined {
  const id = model.trim();
  for (const [pattern, firstAppleSilicon] of APPLE_SILICON_FAMILIES) {
    const m = pattern.exec(id);
    if (m?.[1]) return Number(m[1]) >= firstAppleSilicon ? "arm64" : "x86_64";
  }
  return /^(MacBook|MacBookAir|MacBookPro|Macmini|iMac|iMacPro|MacPro|Xserve)\d+,\d+$/.test(id) ? "x86_64" : undefined;
}

/** IsAppleSilicon wins when the Mac reports it; otherwise the model identifier decides. */
export function resolveArchitecture(info: { isAppleSilicon?: boolean; model?: string }): Architecture | undefined {
  if (info.isAppleSilicon !== undefined) return info.isAppleSilicon ? "arm64" : "x86_64";
  return info.model ? architectureFromModel(info.model) : undefined;
}

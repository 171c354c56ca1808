// Compatibility of a target version with a computer (DESIGN §3.3): minimum macOS and architecture. A Mac
// whose facts are not known yet (no DeviceInformation answer) is not judged: it waits.
import type { Architecture } from "./architecture";
import { isVersionAtLeast, parseVersion } from "./versions";

export type CompatibilityInput = {
  version: { version: string; minimumOsVersion: string; architectures: readonly Architecture[] };
  computer: { osVersion: string | null; architecture: Architecture | null };
};

export type Compatibility = { kind: "compatible" } | { kind: "incompatible"; reason: string } | { kind: "unknown"; reason: string };

const ARCH_LABEL: Record<Architecture, string> = { arm64: "Apple silicon (arm64)", x86_64: "Intel (x86_64)" };

export function checkCompatibility({ version, computer }: CompatibilityInput): Compatibility {
  if (computer.architecture === null || computer.osVersion === null || parseVersion(computer.osVersion).length === 0) {
    return { kind: "unknown", reason: "Waiting for device information (macOS version and architecture)" };
  }
  if (!isVersionAtLeast(computer.osVersion, version.minimumOsVersion)) {
    return { kind: "incompatible", reason: `Requires macOS ${version.minimumOsVersion} or later (this Mac runs ${computer.osVersion})` };
  }
  if (!version.architectures.includes(computer.architecture)) {
    return { kind: "incompatible", reason: `Not available for ${ARCH_LABEL[computer.architecture]}` };
  }
  return { kind: "compatible" };
}

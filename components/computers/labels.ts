/** How an architecture reads in the UI; null while DeviceInformation has not answered yet. */
export function architectureLabel(architecture: string | null | undefined): string {
  if (architecture === "arm64") return "Apple silicon (arm64)";
  if (architecture === "x86_64") return "Intel (x86_64)";
  return "Unknown yet";
}

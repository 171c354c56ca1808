// MDM command bodies (the `Command` dictionary), built from Apple's macOS keys only (mdm-protocol.md §5–7).
// Bodies are plain JSON so the queue can store them; binary values are tagged `{ $data: base64 }` and the
// wire codec (server/mdm) turns them into <data> when the command is sent.

export type DataValue = { $data: string };

export type DeviceInformationCommand = { RequestType: "DeviceInformation"; Queries: string[] };
export type InstalledApplicationListCommand = { RequestType: "InstalledApplicationList"; Identifiers?: string[]; ManagedAppsOnly?: boolean };
export type InstallProfileCommand = { RequestType: "InstallProfile"; Payload: DataValue };
export type InstallEnterpriseApplicationCommand = {
  RequestType: "InstallEnterpriseApplication";
  ManifestURL: string;
  InstallAsManaged?: boolean;
  ManagementFlags?: number;
};
export type InstallApplicationCommand = { RequestType: "InstallApplication"; Identifier?: string; ManifestURL?: string; iTunesStoreID?: number };

export type CommandBody =
  | DeviceInformationCommand
  | InstalledApplicationListCommand
  | InstallProfileCommand
  | InstallEnterpriseApplicationCommand
  | InstallApplicationCommand;

export type RequestType = CommandBody["RequestType"];

/** The DeviceInformation queries Pomona needs for inventory and compatibility (DESIGN §4.1). */
export const DEVICE_INFORMATION_QUERIES = ["DeviceName", "OSVersion", "BuildVersion", "Model", "ModelName", "ProductName", "SerialNumber", "IsAppleSilicon"];

export function buildDeviceInformation(): DeviceInformationCommand {
  return { RequestType: "DeviceInformation", Queries: [...DEVICE_INFORMATION_QUERIES] };
}

/** `Identifiers` limits the answer to those bundle ids (macOS 10.15+); omit it for the full inventory. */
export function buildInstalledApplicationList(options: { identifiers?: string[]; managedAppsOnly?: boolean } = {}): InstalledApplicationListCommand {
  const cmd: InstalledApplicationListCommand = { RequestType: "InstalledApplicationList" };
  if (options.identifiers?.length) cmd.Identifiers = [...options.identifiers];
  if (options.managedAppsOnly !== undefined) cmd.ManagedAppsOnly = options.managedAppsOnly;
  return cmd;
}

/** `Payload` is the raw .mobileconfig bytes, sent as <data>. */
export function buildInstallProfile(mobileconfig: string | Uint8Array): InstallProfileCommand {
  const bytes = typeof mobileconfig === "string" ? Buffer.from(mobileconfig, "utf8") : Buffer.from(mobileconfig);
  return { RequestType: "InstallProfile", Payload: { $data: bytes.toString("base64") } };
}

/**
 * macOS only. `InstallAsManaged` (macOS 11+) makes the app managed; `ManagementFlags` 1 removes it when the
 * MDM profile is removed and needs InstallAsManaged.
 */
export function buildInstallEnterpriseApplication(options: { manifestUrl: string; installAsManaged?: boolean; removeWithMdm?: boolean }): InstallEnterpriseApplicationCommand {
  const cmd: InstallEnterpriseApplicationCommand = { RequestType: "InstallEnterpriseApplication", ManifestURL: options.manifestUrl };
  if (options.installAsManaged) {
    cmd.InstallAsManaged = true;
    if (options.removeWithMdm) cmd.ManagementFlags = 1;
  }
  return cmd;
}

const INSTALL_REQUEST_TYPES: ReadonlySet<string> = new Set(["InstallEnterpriseApplication", "InstallApplication"]);

/** Installs share one slot per Mac: two in flight lose one (mdm-protocol.md §8 quirk 1, DESIGN §3.4 item 7). */
export function isInstallRequest(requestType: string): boolean {
  return INSTALL_REQUEST_TYPES.has(requestType);
}

export function isDataValue(v: unknown): v is DataValue {
  return typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 1 && typeof (v as DataValue).$data === "string";
}

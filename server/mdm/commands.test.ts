import { describe, expect, it } from "vitest";

import { buildDeviceInformation, buildInstalledApplicationList, buildInstallEnterpriseApplication, buildInstallProfile, isInstallRequest } from "@/server/queue/commands";

import { encodeCommand } from "./commands";
import { decodePlist } from "./plist";

const PROFILE = `<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict><key>PayloadType</key><string>Configuration</string></dict></plist>\n`;

describe("command builders and their wire form", () => {
  it("DeviceInformation asks exactly DESIGN §4.1's queries", () => {
    const xml = encodeCommand("UUID-1", buildDeviceInformation());
    expect(decodePlist(xml)).toEqual({
      CommandUUID: "UUID-1",
      Command: { RequestType: "DeviceInformation", Queries: ["DeviceName", "OSVersion", "BuildVersion", "Model", "ModelName", "ProductName", "SerialNumber", "IsAppleSilicon"] },
    });
  });

  it("InstalledApplicationList sends Identifiers and ManagedAppsOnly only when asked", () => {
    expect(buildInstalledApplicationList()).toEqual({ RequestType: "InstalledApplicationList" });
    const xml = encodeCommand("UUID-2", buildInstalledApplicationList({ identifiers: ["com.google.Chrome"], managedAppsOnly: false }));
    expect(xml).toMatch(/<key>ManagedAppsOnly<\/key>\s*<false\/>/);
    expect(decodePlist(xml)).toEqual({ CommandUUID: "UUID-2", Command: { RequestType: "InstalledApplicationList", Identifiers: ["com.google.Chrome"], ManagedAppsOnly: false } });
  });

  it("InstallProfile carries the .mobileconfig bytes as <data>", () => {
    const xml = encodeCommand("UUID-3", buildInstallProfile(PROFILE));
    expect(xml).toMatch(/<key>Payload<\/key>\s*<data>[A-Za-z0-9+/=]+<\/data>/);
    const decoded = decodePlist(xml) as { Command: { Payload: string } };
    expect(Buffer.from(decoded.Command.Payload, "base64").toString("utf8")).toBe(PROFILE);
  });

  it("InstallEnterpriseApplication sends ManifestURL, and InstallAsManaged with ManagementFlags 1 only together", () => {
    expect(buildInstallEnterpriseApplication({ manifestUrl: "https://m.example/1.plist" })).toEqual({ RequestType: "InstallEnterpriseApplication", ManifestURL: "https://m.example/1.plist" });
    expect(buildInstallEnterpriseApplication({ manifestUrl: "https://m.example/1.plist", removeWithMdm: true })).not.toHaveProperty("ManagementFlags");
    const xml = encodeCommand("UUID-4", buildInstallEnterpriseApplication({ manifestUrl: "https://m.example/1.plist", installAsManaged: true, removeWithMdm: true }));
    expect(decodePlist(xml)).toEqual({
      CommandUUID: "UUID-4",
      Command: { RequestType: "InstallEnterpriseApplication", ManifestURL: "https://m.example/1.plist", InstallAsManaged: true, ManagementFlags: 1 },
    });
    expect(xml).toContain("<integer>1</integer>");
  });

  it("treats both install request types as installs", () => {
    expect(isInstallRequest("InstallEnterpriseApplication")).toBe(true);
    expect(isInstallRequest("InstallApplication")).toBe(true);
    expect(isInstallRequest("InstallProfile")).toBe(false);
  });
});

// Golden MDM fixtures (README.md): every well-formed fixture decodes with the codec and carries the keys Apple's
// schema (apple/device-management) defines; every hostile "bad-" fixture is refused, except the two schema errors.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { describe, expect, it } from "vitest";

import { decodePlist, PlistError, type PlistValue } from "../plist";

type Dict = { [key: string]: PlistValue };

const dir = path.dirname(fileURLToPath(import.meta.url));
const UDID = "5C1D2E3F-0000-5A5A-9B9B-00112233AABB";
const SERIAL = "C02TEST0001";
const TOPIC = "com.apple.mgmt.External.0f6b2c1e-aaaa-bbbb-cccc-123456789abc";
const UUID_UPPER = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

const CHECKINS = [
  "checkin-authenticate.plist",
  "checkin-token-update.plist",
  "checkin-token-update-user.plist",
  "checkin-checkout.plist",
  "checkin-user-authenticate.plist",
  "checkin-declarative-management.plist",
  "checkin-get-bootstrap-token.plist",
  "checkin-set-bootstrap-token.plist",
  "checkin-get-token.plist",
];
const REPORTS = [
  "report-idle.plist",
  "report-acknowledged-device-information.plist",
  "report-acknowledged-device-information-intel.plist",
  "report-acknowledged-device-information-old.plist",
  "report-acknowledged-installed-application-list.plist",
  "report-acknowledged-install-enterprise-application.plist",
  "report-acknowledged-install-profile.plist",
  "report-error.plist",
  "report-error-install.plist",
  "report-command-format-error.plist",
  "report-not-now.plist",
];
/** Refused by the codec itself, with a pattern the one-line reason must match. */
const REFUSED: [string, RegExp][] = [
  ["bad-binary.plist", /binary/i],
  ["bad-openstep.plist", /not an xml plist|openstep/i],
  ["bad-entity.plist", /entit|doctype/i],
  ["bad-deep.plist", /nest|deep/i],
  ["bad-proto.plist", /__proto__/],
  ["bad-truncated.plist", /malformed|unclosed|end of input/i],
];
/** Well-formed plists that only the message schema rejects later. */
const SCHEMA_ERRORS = ["bad-missing-status.plist", "bad-unknown-messagetype.plist"];

const read = (name: string, encoding: BufferEncoding = "utf8") => fs.readFileSync(path.join(dir, name), encoding);

function asDict(value: PlistValue | undefined): Dict {
  expect(value).toBeTypeOf("object");
  expect(Array.isArray(value)).toBe(false);
  expect(value).not.toBeInstanceOf(Date);
  return value as Dict;
}

function asArray(value: PlistValue | undefined): PlistValue[] {
  expect(Array.isArray(value)).toBe(true);
  return value as PlistValue[];
}

const load = (name: string): Dict => asDict(decodePlist(read(name)));
const base64Bytes = (value: PlistValue | undefined) => {
  expect(value).toMatch(BASE64);
  return Buffer.from(value as string, "base64");
};

describe("fixture inventory", () => {
  it("every file in testdata is listed in exactly one group", () => {
    const onDisk = fs.readdirSync(dir).filter((f) => f.endsWith(".plist")).sort();
    const listed = [...CHECKINS, ...REPORTS, ...REFUSED.map(([f]) => f), ...SCHEMA_ERRORS].sort();
    expect(onDisk).toEqual(listed);
    expect(new Set(listed).size).toBe(listed.length);
  });

  it.each([...CHECKINS, ...REPORTS, ...SCHEMA_ERRORS])("%s is a full Apple XML plist, tab-indented", (name) => {
    const text = read(name);
    expect(text.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n')).toBe(true);
    expect(text).toContain(
      '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0">\n<dict>\n',
    );
    expect(text.endsWith("</dict>\n</plist>\n")).toBe(true);
    expect(text).not.toMatch(/^ +/m); // indentation is tabs only
    expect(text).not.toContain("\r");
    for (const line of text.split("\n")) expect(line.match(/<key>/g)?.length ?? 0).toBeLessThanOrEqual(1);
  });
});

describe("check-in fixtures", () => {
  it("Authenticate carries the device identity", () => {
    expect(load("checkin-authenticate.plist")).toEqual({
      MessageType: "Authenticate",
      Topic: TOPIC,
      UDID,
      SerialNumber: SERIAL,
      DeviceName: "Design Lab Mac 07",
      Model: "Mac14,2",
      ModelName: "MacBook Air",
      ProductName: "Mac14,2",
      OSVersion: "14.5",
      BuildVersion: "23F79",
    });
  });

  it("TokenUpdate: the <data> token split over tabbed lines decodes to the exact 32 bytes", () => {
    const raw = read("checkin-token-update.plist");
    expect(raw).toContain("<data>\n\tq83vEjRWeJCrze8SNFZ4kKvN7xI0VniQ\n\tq83vEjRWeJA=\n\t</data>");
    const msg = load("checkin-token-update.plist");
    const expected = Buffer.from("abcdef1234567890".repeat(4), "hex");
    expect(msg.Token).toBe(expected.toString("base64"));
    expect(msg.Token).toBe("q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=");
    expect(base64Bytes(msg.Token)).toEqual(expected);
    expect(msg).toMatchObject({
      MessageType: "TokenUpdate",
      Topic: TOPIC,
      UDID,
      PushMagic: "7E1B9A52-3C4D-4E5F-8A9B-0C1D2E3F4A5B",
      AwaitingConfiguration: false,
    });
    expect(Object.keys(msg).sort()).toEqual(["AwaitingConfiguration", "MessageType", "PushMagic", "Token", "Topic", "UDID"]);
  });

  it("user-channel TokenUpdate adds the user and has its own token and push magic", () => {
    const device = load("checkin-token-update.plist");
    const user = load("checkin-token-update-user.plist");
    expect(user).toMatchObject({
      MessageType: "TokenUpdate",
      Topic: TOPIC,
      UDID,
      UserID: "A1B2C3D4-E5F6-4789-9ABC-DEF012345678",
      UserShortName: "mrivera",
      UserLongName: "María Rivera",
      NotOnConsole: false,
    });
    expect(user.Token).toBe("/J/cc/S+H+3jpjtmQN77fiOEbcgeu+Sx3eAnOvr4PdU=");
    expect(base64Bytes(user.Token)).toHaveLength(32);
    expect(user.Token).not.toBe(device.Token);
    expect(user.PushMagic).toMatch(UUID_UPPER);
    expect(user.PushMagic).not.toBe(device.PushMagic);
    expect(user).not.toHaveProperty("AwaitingConfiguration");
  });

  it("CheckOut", () => {
    expect(load("checkin-checkout.plist")).toEqual({ MessageType: "CheckOut", Topic: TOPIC, UDID });
  });

  it("UserAuthenticate first message has no DigestResponse", () => {
    const msg = load("checkin-user-authenticate.plist");
    expect(msg).toEqual({
      MessageType: "UserAuthenticate",
      UDID,
      UserID: "A1B2C3D4-E5F6-4789-9ABC-DEF012345678",
      UserShortName: "mrivera",
      UserLongName: "María Rivera",
    });
    expect(msg).not.toHaveProperty("DigestResponse");
  });

  it("DeclarativeManagement tokens request has no Data", () => {
    const msg = load("checkin-declarative-management.plist");
    expect(msg).toEqual({ MessageType: "DeclarativeManagement", UDID, Endpoint: "tokens" });
    expect(msg).not.toHaveProperty("Data");
  });

  it("GetBootstrapToken", () => {
    expect(load("checkin-get-bootstrap-token.plist")).toEqual({ MessageType: "GetBootstrapToken", UDID, AwaitingConfiguration: false });
  });

  it("SetBootstrapToken: multi-line <data> comes back as one base64 string", () => {
    expect(read("checkin-set-bootstrap-token.plist")).toMatch(/<data>\n(\t[A-Za-z0-9+/=]{1,68}\n){3}\t<\/data>/);
    const msg = load("checkin-set-bootstrap-token.plist");
    expect(msg).toMatchObject({ MessageType: "SetBootstrapToken", UDID, AwaitingConfiguration: false });
    expect(msg.BootstrapToken).toBe(
      "xwnFkjvlD7IQZ+2fo89Ui1S6X1oM/Zh2Cfnuy9Bqr+bk8iNEMAttXdAXS5SM4Yri3iNug52X3dUEMaEfI+ZZHTct8tbQXe4wxTLlhC9Pdq9D8zYFlVAkIZnD7c8NR4baeMJQ12KKFWRyHoozkt4iahOFB9pKSkbsie8RQSJobqRSFUBIBqC3unOpY7Lk5vLelVdDFu93",
    );
    expect(base64Bytes(msg.BootstrapToken)).toHaveLength(150);
  });

  it("GetToken asks for com.apple.maid", () => {
    expect(load("checkin-get-token.plist")).toEqual({ MessageType: "GetToken", UDID, TokenServiceType: "com.apple.maid" });
  });

  it.each(CHECKINS)("%s: MessageType and UDID present, Topic (when present) is the push topic", (name) => {
    const msg = load(name);
    expect(msg.MessageType).toBeTypeOf("string");
    expect(msg.UDID).toBe(UDID);
    if ("Topic" in msg) expect(msg.Topic).toBe(TOPIC);
    expect(msg).not.toHaveProperty("Status");
  });
});

describe("command report fixtures", () => {
  it.each(REPORTS)("%s: Status is valid; CommandUUID is an uppercase UUID unless Idle", (name) => {
    const msg = load(name);
    expect(["Idle", "Acknowledged", "Error", "CommandFormatError", "NotNow"]).toContain(msg.Status);
    expect(msg.UDID).toMatch(UUID_UPPER);
    expect(msg).not.toHaveProperty("MessageType");
    if (msg.Status === "Idle") expect(msg).not.toHaveProperty("CommandUUID");
    else expect(msg.CommandUUID).toMatch(UUID_UPPER);
  });

  it("all command reports use distinct CommandUUIDs", () => {
    const ids = REPORTS.map((n) => load(n).CommandUUID).filter((id) => id !== undefined);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("Idle", () => {
    expect(load("report-idle.plist")).toEqual({ Status: "Idle", UDID });
  });

  it("DeviceInformation on Apple silicon", () => {
    const msg = load("report-acknowledged-device-information.plist");
    expect(msg).toMatchObject({ Status: "Acknowledged", UDID });
    expect(asDict(msg.QueryResponses)).toEqual({
      DeviceName: "Design Lab Mac 07",
      OSVersion: "14.5",
      BuildVersion: "23F79",
      Model: "Mac14,2",
      ModelName: "MacBook Air",
      ProductName: "Mac14,2",
      SerialNumber: SERIAL,
      IsAppleSilicon: true,
    });
  });

  it("DeviceInformation on an Intel MacBook Pro", () => {
    const msg = load("report-acknowledged-device-information-intel.plist");
    expect(msg.Status).toBe("Acknowledged");
    expect(msg.UDID).not.toBe(UDID);
    expect(asDict(msg.QueryResponses)).toMatchObject({
      Model: "MacBookPro16,1",
      ModelName: "MacBook Pro",
      OSVersion: "13.6.7",
      BuildVersion: "22G720",
      IsAppleSilicon: false,
    });
  });

  it("DeviceInformation from macOS 11 has no IsAppleSilicon key", () => {
    const msg = load("report-acknowledged-device-information-old.plist");
    const q = asDict(msg.QueryResponses);
    expect(q).toMatchObject({ Model: "MacBookAir8,2", OSVersion: "11.7.10" });
    expect(q).not.toHaveProperty("IsAppleSilicon");
    for (const key of ["DeviceName", "BuildVersion", "ModelName", "ProductName", "SerialNumber"]) expect(q[key]).toBeTypeOf("string");
  });

  describe("InstalledApplicationList with 300 apps", () => {
    const msg = load("report-acknowledged-installed-application-list.plist");
    const apps = asArray(msg.InstalledApplicationList).map(asDict);
    const byId = new Map(apps.filter((a) => "Identifier" in a).map((a) => [a.Identifier as string, a]));

    it("is an Acknowledged report with exactly 300 entries", () => {
      expect(msg).toMatchObject({ Status: "Acknowledged", UDID });
      expect(apps).toHaveLength(300);
    });

    it("every entry has Apple's key types", () => {
      for (const app of apps) {
        expect(app.Name).toBeTypeOf("string");
        expect(app.Version).toBeTypeOf("string");
        expect(app.ShortVersion).toBeTypeOf("string");
        expect(Number.isInteger(app.BundleSize)).toBe(true);
        expect(app.Installing).toBeTypeOf("boolean");
        if ("Identifier" in app) expect(app.Identifier).toMatch(/^[A-Za-z0-9._-]+$/);
        if ("ExternalVersionIdentifier" in app) expect(Number.isInteger(app.ExternalVersionIdentifier)).toBe(true);
        for (const flag of ["HasUpdateAvailable", "DownloadCancelled", "DownloadFailed", "DownloadPaused", "DownloadWaiting"]) {
          if (flag in app) expect(app[flag]).toBeTypeOf("boolean");
        }
      }
      expect(byId.size).toBe(apps.filter((a) => "Identifier" in a).length); // identifiers are unique
    });

    it("has at least 3 entries without Identifier", () => {
      const anonymous = apps.filter((a) => !("Identifier" in a));
      expect(anonymous.length).toBeGreaterThanOrEqual(3);
      for (const app of anonymous) expect(app.Name).toBeTypeOf("string");
    });

    it("has exactly one entry still installing: VS Code with placeholder versions", () => {
      const installing = apps.filter((a) => a.Installing === true);
      expect(installing).toHaveLength(1);
      expect(installing[0]).toMatchObject({ Identifier: "com.microsoft.VSCode", ShortVersion: "0" });
    });

    it("keeps well-known apps and their versions", () => {
      expect(byId.get("com.google.Chrome")).toMatchObject({ Name: "Google Chrome", ShortVersion: "131.0.6778.86" });
      expect(byId.get("com.microsoft.Word")).toMatchObject({ Name: "Microsoft Word", ShortVersion: "16.91" });
      for (const id of ["com.apple.Safari", "com.apple.mail", "com.apple.iWork.Pages", "org.mozilla.firefox", "com.tinyspeck.slackmacgap", "us.zoom.xos"]) {
        expect(byId.has(id)).toBe(true);
      }
      expect(byId.get("com.apple.iWork.Pages")).toMatchObject({ HasUpdateAvailable: false, ExternalVersionIdentifier: 866093612 });
      expect(byId.get("com.apple.dt.Xcode")!.BundleSize).toBe(11979616256); // larger than 32 bits, still exact
    });

    it("decodes UTF-8 names and &amp;", () => {
      const names = new Set(apps.map((a) => a.Name));
      for (const name of ["Über Notes", "日本語 IME", "Café Menu", "Čeština Spellcheck", "Brother iPrint&Scan"]) expect(names).toContain(name);
      expect(read("report-acknowledged-installed-application-list.plist")).toContain("<string>Brother iPrint&amp;Scan</string>");
      expect([...names].some((n) => typeof n === "string" && n.includes("&amp;"))).toBe(false);
    });
  });

  it.each(["report-acknowledged-install-enterprise-application.plist", "report-acknowledged-install-profile.plist", "report-not-now.plist"])(
    "%s carries only Status, CommandUUID and UDID",
    (name) => {
      const msg = load(name);
      expect(Object.keys(msg).sort()).toEqual(["CommandUUID", "Status", "UDID"]);
      expect(msg.UDID).toBe(UDID);
      expect(msg.Status).toBe(name.includes("not-now") ? "NotNow" : "Acknowledged");
    },
  );

  it("Error with a two-item ErrorChain", () => {
    const msg = load("report-error.plist");
    expect(msg.Status).toBe("Error");
    const chain = asArray(msg.ErrorChain).map(asDict);
    expect(chain).toHaveLength(2);
    expect(chain[0]).toMatchObject({ ErrorCode: 12021, ErrorDomain: "MCInstallationErrorDomain" });
    expect(chain[0]!.LocalizedDescription).toBeTypeOf("string");
    expect(chain[0]!.USEnglishDescription).toBeTypeOf("string");
    expect(chain[0]!.LocalizedDescription).toContain("“Editor”");
    expect(chain[1]).toEqual({ ErrorCode: 2604, ErrorDomain: "DeviceManagement.error", LocalizedDescription: "Could not validate manifest." });
  });

  it("Error from the package installer", () => {
    const msg = load("report-error-install.plist");
    expect(msg.Status).toBe("Error");
    expect(asArray(msg.ErrorChain)).toEqual([
      { ErrorCode: 100, ErrorDomain: "PKInstallErrorDomain", LocalizedDescription: "Package signature cannot be verified" },
    ]);
  });

  it("CommandFormatError", () => {
    const msg = load("report-command-format-error.plist");
    expect(msg.Status).toBe("CommandFormatError");
    expect(asArray(msg.ErrorChain)).toEqual([{ ErrorCode: 12001, ErrorDomain: "MDMClientError", LocalizedDescription: "Invalid request type" }]);
  });

  it("ErrorCode is always an integer", () => {
    for (const name of ["report-error.plist", "report-error-install.plist", "report-command-format-error.plist"]) {
      for (const item of asArray(load(name).ErrorChain).map(asDict)) expect(Number.isInteger(item.ErrorCode)).toBe(true);
    }
  });
});

describe("malformed and hostile fixtures", () => {
  it("the fixtures are what their names say", () => {
    expect(read("bad-binary.plist", "latin1").startsWith("bplist00")).toBe(true);
    expect(read("bad-openstep.plist").trimStart().startsWith("{")).toBe(true);
    expect(read("bad-entity.plist")).toMatch(/<!ENTITY x "[^"]+">/);
    expect(read("bad-deep.plist").match(/<array>/g)).toHaveLength(40);
    expect(read("bad-proto.plist")).toContain("<key>__proto__</key>");
    const idle = read("report-idle.plist");
    const cut = read("bad-truncated.plist");
    expect(idle.startsWith(cut)).toBe(true);
    expect(cut).toMatch(/<[a-z]+$/); // ends inside a tag
  });

  it.each(REFUSED)("%s is refused with a PlistError", (name, reason) => {
    const text = read(name, name === "bad-binary.plist" ? "latin1" : "utf8");
    expect(() => decodePlist(text)).toThrow(PlistError);
    expect(() => decodePlist(text)).toThrow(reason);
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it("bad-missing-status decodes: a report without Status is a schema error, not a plist error", () => {
    const msg = load("bad-missing-status.plist");
    expect(msg).toMatchObject({ UDID });
    expect(msg.CommandUUID).toMatch(UUID_UPPER);
    expect(msg).not.toHaveProperty("Status");
  });

  it("bad-unknown-messagetype decodes: an unknown MessageType is a schema error, not a plist error", () => {
    expect(load("bad-unknown-messagetype.plist")).toEqual({ MessageType: "FooBar", Topic: TOPIC, UDID });
  });
});

// encodePlist writes what plist's `build` writes, byte for byte, or leaves the value to `build`.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import fc from "fast-check";
// eslint-disable-next-line import-x/no-restricted-paths -- the reference the encoder must match is the plist package itself.
import { parse } from "plist";
import { describe, expect, it } from "vitest";

import { buildDeviceInformation, buildInstallEnterpriseApplication, buildInstalledApplicationList, buildInstallProfile } from "@/server/queue/commands";

import { encodeCommand } from "./commands";
import { buildEnrollmentProfile } from "./enrollment-profile";
import { buildWithPlist, encodePlist, type PlistInput } from "./plist";

/** Both encoders on one value: the same text, or both refuse it. */
function outcome(encode: (v: PlistInput) => string, value: PlistInput): { text: string } | { threw: true } {
  try {
    return { text: encode(value) };
  } catch {
    return { threw: true };
  }
}
const expectSameAsBuild = (value: PlistInput) => expect(outcome(encodePlist, value)).toEqual(outcome(buildWithPlist, value));

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), "testdata");
const fixtures = fs
  .readdirSync(dir)
  .filter((name) => name.endsWith(".plist") && !name.startsWith("bad-"))
  .map((name) => ({ name, value: parse(fs.readFileSync(path.join(dir, name), "utf8")) as PlistInput }));

describe("encodePlist", () => {
  it.each(fixtures)("writes $name's value as plist's build does", ({ value }) => {
    expect(encodePlist(value)).toBe(buildWithPlist(value));
  });

  it("writes every command and the enrollment profile as plist's build does", () => {
    const uuid = "0193F3E2-1234-7ABC-8DEF-0123456789AB";
    for (const body of [
      buildDeviceInformation(),
      buildInstalledApplicationList({ identifiers: ["us.zoom.xos", "com.google.Chrome"], managedAppsOnly: false }),
      buildInstallProfile(Buffer.from("<plist>profile & more</plist>")),
      buildInstallEnterpriseApplication({ manifestUrl: "https://pomona.example/mdm/manifests/7.plist?x=1&y=<2>" }),
    ]) {
      const text = encodeCommand(uuid, body);
      expect(text).toBe(buildWithPlist(parse(text) as PlistInput));
    }
    const profile = { publicUrl: "https://pomona.example", topic: "com.apple.mgmt.External.x", identity: { pkcs12: Buffer.from([0, 1, 2, 250, 255]), password: "p&<>" } };
    const text = buildEnrollmentProfile(profile);
    expect(text).toBe(buildWithPlist(parse(text) as PlistInput));
  });

  it("matches build on the edges: empty values, escapes, numbers, dates, undefined", () => {
    for (const value of <PlistInput[]>[
      { a: "", b: [], c: {}, d: new Uint8Array(0), e: true, f: false },
      { text: "a&b<c>d\re\nf\"g'h\t", key: "", "k&<>": 1 },
      [0, -0, 1.5, -2.25, 1e21, 1e-7, Number.MAX_SAFE_INTEGER, NaN, Infinity, -Infinity],
      [new Date(0), new Date("2026-11-25T06:00:00.123Z")],
      { skipped: undefined, nested: { deeper: [undefined, "x", undefined] as unknown as PlistInput }, none: [undefined] as unknown as PlistInput },
      "top level",
      7,
      "emoji 🍐 and a pair \uD83C\uDF50",
      JSON.parse('{"__proto__": "&", "a": 1}') as PlistInput, // an own "__proto__" key (found by the generated values below)
    ])
      expectSameAsBuild(value);
  });

  it("leaves to build what it does not cover, which then decides", () => {
    for (const value of [
      "bad \u0001 control",
      "lone \uD800 surrogate",
      { "bad\uFFFEkey": 1 },
      new Date(NaN),
      [BigInt(3)] as unknown as PlistInput,
      new Uint16Array([1, 2]) as unknown as PlistInput,
      new (class Point {
        x = 1;
      })() as unknown as PlistInput,
      undefined as unknown as PlistInput,
      null as unknown as PlistInput,
      [null, 1, null] as unknown as PlistInput,
      { nul: null } as unknown as PlistInput,
    ])
      expectSameAsBuild(value);
  });

  it("writes generated values as plist's build does", () => {
    const text = fc.oneof(fc.string({ unit: "binary", maxLength: 12 }), fc.string({ maxLength: 12 }), fc.constantFrom("&", "<", ">", "\r", "]]>", "&amp;", ""));
    const leaf = fc.oneof(text, fc.double(), fc.integer(), fc.boolean(), fc.date(), fc.uint8Array({ maxLength: 12 }), fc.constant(undefined));
    const { value } = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: "small", withCrossShrink: true }, leaf, fc.array(tie("value"), { maxLength: 4 }), fc.dictionary(text, tie("value"), { maxKeys: 4 })),
    }));
    let written = 0;
    fc.assert(
      fc.property(value, (v) => {
        expectSameAsBuild(v as PlistInput);
        if ("text" in outcome(buildWithPlist, v as PlistInput)) written++;
      }),
      { numRuns: 3000 },
    );
    // Most values are written, not refused: the comparison is of text, not only of refusals.
    expect(written).toBeGreaterThan(1500);
  });
});

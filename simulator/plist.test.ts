import { describe, expect, it } from "vitest";

import { decodePlist, encodePlist, PlistError, PlistReal } from "./plist";

const wrap = (inner: string) => `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0">\n${inner}\n</plist>\n`;

describe("simulator plist codec", () => {
  it("[SIM][PLIST]: round-trips every type, nested", () => {
    const value = {
      string: "Design Lab Mac 07",
      empty: "",
      integer: 42,
      negative: -7,
      zero: 0,
      big: 2n ** 63n - 1n,
      real: 3.25,
      yes: true,
      no: false,
      date: new Date("2026-03-02T09:00:00Z"),
      data: new Uint8Array([0, 1, 2, 250, 255]),
      emptyData: new Uint8Array(0),
      list: [1, "two", [3, { four: 4 }], [], {}],
      nested: { deeper: { deepest: { value: "x" } } },
    };
    const text = encodePlist(value);
    expect(decodePlist(text)).toEqual(value);
    // And the same through UTF-8 bytes.
    expect(decodePlist(Buffer.from(text, "utf8"))).toEqual(value);
  });

  it("[SIM][PLIST]: writes Apple's layout: header, sorted keys, tabs, empty containers", () => {
    const text = encodePlist({ b: 1, a: [], c: {} });
    expect(text).toBe(wrap("<dict>\n\t<key>a</key>\n\t<array/>\n\t<key>b</key>\n\t<integer>1</integer>\n\t<key>c</key>\n\t<dict/>\n</dict>"));
  });

  it("[SIM][PLIST]: escapes & < > in strings and keys, and reads entities and character references back", () => {
    const value = { "a<b>&c": "Tom & Jerry <script>alert(1)</script> > ok", cr: "line\r\nnext" };
    const text = encodePlist(value);
    expect(text).toContain("<key>a&lt;b&gt;&amp;c</key>");
    expect(text).toContain("<string>Tom &amp; Jerry &lt;script&gt;alert(1)&lt;/script&gt; &gt; ok</string>");
    expect(decodePlist(text)).toEqual(value);
    expect(decodePlist(wrap("<string>&quot;q&quot; &apos;a&apos; &#65;&#x42; &#x1F34E;</string>"))).toBe("\"q\" 'a' AB 🍎");
    expect(decodePlist(wrap("<string><![CDATA[<raw> & stuff]]></string>"))).toBe("<raw> & stuff");
  });

  it("[SIM][PLIST]: keeps Unicode intact (UTF-8 on the wire)", () => {
    const value = { DeviceName: "Chloé’s MacBook Pro", emoji: "🍏 Björn — 日本語", ["Schlüssel"]: "ñ" };
    const bytes = Buffer.from(encodePlist(value), "utf8");
    expect(bytes.includes(Buffer.from("Chloé’s", "utf8"))).toBe(true);
    expect(decodePlist(bytes)).toEqual(value);
    expect(() => decodePlist(new Uint8Array([0x3c, 0xff, 0xfe]))).toThrow(PlistError);
  });

  it("[SIM][PLIST]: reads base64 data split by line breaks and tabs", () => {
    const bytes = Buffer.from(Array.from({ length: 200 }, (_, i) => i));
    const b64 = bytes.toString("base64");
    const messy = `<data>\n\t\t${b64.slice(0, 40)}\n\t\t${b64.slice(40, 90)}\r\n  ${b64.slice(90)}\n\t</data>`;
    expect(Buffer.from(decodePlist(wrap(messy)) as Uint8Array)).toEqual(bytes);
    // The writer wraps long data too, and reads its own output back.
    const long = new Uint8Array(500).fill(7);
    const text = encodePlist({ d: long });
    expect(text.split("\n").filter((l) => /^\t[A-Za-z0-9+/=]+$/.test(l)).length).toBeGreaterThan(5);
    expect(decodePlist(text)).toEqual({ d: long });
    expect(() => decodePlist(wrap("<data>not base64!</data>"))).toThrow(PlistError);
  });

  it("[SIM][PLIST]: keeps integers and reals apart", () => {
    expect(encodePlist(3)).toContain("<integer>3</integer>");
    expect(encodePlist(3.5)).toContain("<real>3.5</real>");
    expect(encodePlist(new PlistReal(2))).toContain("<real>2</real>");
    expect(encodePlist(-0.25)).toContain("<real>-0.25</real>");
    expect(decodePlist(wrap("<integer>17</integer>"))).toBe(17);
    expect(decodePlist(wrap("<real>17</real>"))).toBe(17);
    expect(decodePlist(wrap("<real>1.5e3</real>"))).toBe(1500);
    expect(decodePlist(wrap("<integer>-9223372036854775808</integer>"))).toBe(-(2n ** 63n));
    expect(() => decodePlist(wrap("<integer>1.5</integer>"))).toThrow(PlistError);
    expect(() => decodePlist(wrap("<real>abc</real>"))).toThrow(PlistError);
  });

  it("[SIM][PLIST]: dates in UTC without fractions; undefined dictionary values are dropped", () => {
    const text = encodePlist({ at: new Date("2026-11-24T07:04:36.789Z"), gone: undefined });
    expect(text).toContain("<date>2026-11-24T07:04:36Z</date>");
    expect(text).not.toContain("gone");
    expect(decodePlist(text)).toEqual({ at: new Date("2026-11-24T07:04:36Z") });
  });

  it("[SIM][PLIST]: reads what Pomona and macOS write: comments, self-closing elements, no <plist> wrapper", () => {
    expect(decodePlist("<?xml version=\"1.0\"?><!-- c --><plist version=\"1.0\"><dict><key>a</key><string/><key>b</key><true></true></dict></plist>")).toEqual({ a: "", b: true });
    expect(decodePlist("<dict><key>k</key><integer>1</integer></dict>")).toEqual({ k: 1 });
  });

  it("[SIM][PLIST]: refuses malformed input with a PlistError", () => {
    for (const bad of [
      "",
      "bplist00…",
      wrap("<dict><key>a</key></dict>"),
      wrap("<dict><string>x</string></dict>"),
      wrap("<array><string>x</array>"),
      wrap("<foo/>"),
      wrap("<string>&bogus;</string>"),
      wrap("<date>yesterday</date>"),
      `<!DOCTYPE plist [<!ENTITY x "y">]><plist><string>&x;</string></plist>`,
      wrap("<string>a</string><string>b</string>"),
      wrap(`${"<array>".repeat(70)}${"</array>".repeat(70)}`),
    ]) {
      expect(() => decodePlist(bad), bad.slice(0, 60)).toThrow(PlistError);
    }
  });

  it("[SIM][PLIST]: a __proto__ key is an ordinary key, not a prototype change", () => {
    const value = decodePlist(wrap("<dict><key>__proto__</key><dict><key>polluted</key><true/></dict></dict>")) as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((value as { polluted?: unknown }).polluted).toBeUndefined();
  });
});

// The scanner must give exactly what plist@5's parse() gives, or UNSUPPORTED: on the golden fixtures, on
// random values written by plist.build, on mutated fixtures, and through decodePlist. Equality is
// toStrictEqual (types, prototypes, -0) plus the order of every object's keys.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import fc from "fast-check";
// eslint-disable-next-line import-x/no-restricted-paths -- the reference the scanner must match is the plist package itself.
import { build, parse } from "plist";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { decodePlist } from "./plist";
import { scanXmlPlist, UNSUPPORTED } from "./plist-scanner";

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), "testdata");
const fixtures = fs
  .readdirSync(dir)
  .filter((name) => name.endsWith(".plist"))
  .sort()
  .map((name) => ({ name, text: fs.readFileSync(path.join(dir, name), name === "bad-binary.plist" ? "latin1" : "utf8") }));
const BIG = "report-acknowledged-installed-application-list.plist";
const small = fixtures.filter((f) => f.name !== BIG);
const big = fixtures.find((f) => f.name === BIG)!;

const HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n';
const doc = (body: string) => `${HEAD}<plist version="1.0">\n${body}\n</plist>\n`;

/** Every object's keys, in order, by path: toStrictEqual alone ignores key order. */
function keyOrder(value: unknown, at = "", out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v, i) => keyOrder(v, `${at}[${i}]`, out));
  else if (value !== null && typeof value === "object" && !(value instanceof Date) && !(value instanceof Uint8Array)) {
    for (const [k, v] of Object.entries(value)) {
      out.push(`${at}/${k}`);
      keyOrder(v, `${at}/${k}`, out);
    }
  }
  return out;
}

function expectSame(scanned: unknown, parsed: unknown): void {
  expect(scanned).toStrictEqual(parsed);
  expect(keyOrder(scanned)).toEqual(keyOrder(parsed));
}

/** The same document with a comment in the root: plist@5 ignores it, the scanner refuses it. */
const plistOnly = (text: string) => text.replace('<plist version="1.0">', '<plist version="1.0"><!-- plist only -->');

function outcome(decode: () => unknown): { value: unknown } | { error: string } {
  try {
    return { value: decode() };
  } catch (e) {
    return { error: `${(e as Error).name}: ${(e as Error).message}` };
  }
}

// xmldom reports malformed bodies on the console, as parseQuietly in plist.ts knows.
beforeEach(() => {
  vi.spyOn(console, "error").mockImplementation(() => {});
  vi.spyOn(console, "warn").mockImplementation(() => {});
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe("scanXmlPlist on the golden fixtures", () => {
  it.each(fixtures.map((f) => [f.name, f.text] as const))("%s: same value as plist.parse, or UNSUPPORTED", (name, text) => {
    const scanned = scanXmlPlist(text);
    if (!name.startsWith("bad-")) expect(scanned).not.toBe(UNSUPPORTED);
    if (scanned !== UNSUPPORTED) expectSame(scanned, parse(text));
  });
});

describe("scanXmlPlist on edge cases", () => {
  const same: [string, string][] = [
    ["no declaration, no DOCTYPE, bare <plist>", "<plist><string>a</string></plist>"],
    ["leading whitespace without a declaration", " \n\t<plist><true/></plist>"],
    ["the older Apple Computer DOCTYPE", doc("<false/>").replace("-//Apple//", "-//Apple Computer//")],
    ["declaration with standalone", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><plist version="1.0"><integer>1</integer></plist>'],
    ["whitespace kept in strings and keys", doc("<dict><key> k </key><string>\t v \n</string></dict>")],
    ["empty forms", doc("<dict><key/><string/><key>a</key><string></string><key>b</key><array/><key>c</key><dict/><key>d</key><data/><key>e</key><data></data><key></key><dict></dict></dict>")],
    ["a trailing key without a value", doc("<dict><key>a</key><integer>1</integer><key>b</key></dict>")],
    ["a repeated key keeps its first place and last value", doc("<dict><key>a</key><integer>1</integer><key>b</key><integer>2</integer><key>a</key><string>x</string><key>b</key></dict>")],
    ["prototype names other than __proto__", doc("<dict><key>constructor</key><string>x</string><key>toString</key><integer>1</integer><key>hasOwnProperty</key><true/></dict>")],
    ["numeric keys", doc("<dict><key>b</key><integer>1</integer><key>2</key><integer>2</integer><key>1</key><integer>3</integer></dict>")],
    ["predefined entities and character references", doc("<string>&lt;a&gt; &amp;amp; &quot;&apos; &#65;&#x42;&#x1F600;&#128512;&#0067;&#xd;&#9;</string>")],
    ["references in keys", doc("<dict><key>a&amp;b&#x20;</key><string>v</string></dict>")],
    ["line endings normalised as xmldom does", doc("<array><string>a\r\nb\rc\u0085d\r\u0085e\u2028f\u2029g</string></array>")],
    ["CRLF between elements", doc("<dict>\r\n\t<key>a</key>\r\n\t<true/>\r\n</dict>").replace(/\n/g, "\r\n")],
    ["parseInt and parseFloat leniency", doc("<array><integer> 12abc</integer><integer>-0</integer><integer>0x10</integer><integer>1e5</integer><real>-0.0</real><real> 1.5e3 </real><real>.5x</real></array>")],
    ["large integers", doc("<array><integer>9007199254740993</integer><integer>-9007199254740991</integer><integer>123456789012345678901234567890</integer></array>")],
    ["dates", doc("<array><date>2024-06-01T12:00:00Z</date><date>2024-06-01</date><date>1969-07-20T20:17:40Z</date></array>")],
    ["base64 split over lines, unicode space, padding", doc("<array><data>\n\tQUJD\n\tRA==\n\t</data><data>QQ</data><data>QUI=</data><data>Q\u00a0UI=</data><data>QR==</data></array>")],
    ["astral and non-ASCII text", doc("<string>Café — 😀 \u{10FFFF} \uFFFD</string>")],
    ["nested arrays at the root", "<plist><array><array><integer>1</integer></array></array></plist>"],
  ];
  it.each(same)("%s", (_, text) => {
    const scanned = scanXmlPlist(text);
    expect(scanned).not.toBe(UNSUPPORTED);
    expectSame(scanned, parse(text));
  });

  // Left to plist@5 on purpose: it throws, recovers with xmldom errors, or it is not worth a second decoder.
  const refused: [string, string][] = [
    ["BOM before the declaration (xmldom throws)", `\uFEFF${doc("<true/>")}`],
    ["BOM without a declaration", "\uFEFF<plist><true/></plist>"],
    ["whitespace before the declaration (xmldom throws)", ` ${doc("<true/>")}`],
    ["declaration with single quotes", "<?xml version='1.0'?><plist><true/></plist>"],
    ["an unknown DOCTYPE", '<!DOCTYPE plist SYSTEM "x.dtd"><plist><true/></plist>'],
    ["a comment", doc("<!-- c --><true/>")],
    ["a comment inside a string", doc("<string>a<!-- c -->b</string>")],
    ["CDATA", doc("<string><![CDATA[a]]></string>")],
    ["a processing instruction", doc("<?pi x?><true/>")],
    ["attributes on a value element", doc('<string id="1">a</string>')],
    ["whitespace inside a tag", doc("<true />")],
    ["<true></true>", doc("<true></true>")],
    ["unknown elements", doc("<null/>")],
    ["a key as a value", doc("<array><key>a</key></array>")],
    ["two root values", doc("<true/><false/>")],
    ["no root value", doc("")],
    ["an empty <integer> (plist@5 throws)", doc("<integer/>")],
    ["an <integer> parseInt cannot read", doc("<integer>abc</integer>")],
    ["a <real> of Infinity", doc("<real>Infinity</real>")],
    ["an invalid <date>", doc("<date>yesterday</date>")],
    ["__proto__ through a reference (plist@5 throws)", doc("<dict><key>__proto&#95;_</key><true/></dict>")],
    ["base64 atob refuses", doc("<data>Q</data>")],
    ["base64 with a character outside the alphabet", doc("<data>QQ-=</data>")],
    ["an unknown entity (xmldom keeps it raw)", doc("<string>&nbsp;</string>")],
    ["a bare ampersand (xmldom keeps it raw)", doc("<string>a & b</string>")],
    ["&#X41; with a capital X", doc("<string>&#X41;</string>")],
    ["a reference to NUL", doc("<string>&#0;</string>")],
    ["a reference to a surrogate", doc("<string>&#xD800;</string>")],
    ["a raw control character", doc("<string>a\u0001b</string>")],
    ["a lone surrogate", doc("<string>a\uD83Db</string>")],
    ["U+FFFE", doc("<string>\uFFFE</string>")],
    ["a raw > in text", doc("<string>a > b</string>")],
    ["mismatched tags", doc("<string>a</key>")],
    ["trailing garbage", `${doc("<true/>")}x`],
    ["a truncated body", doc("<dict><key>a</key>").slice(0, -10)],
    ["a deep nest past the scanner's limit", doc(`${"<array>".repeat(70)}${"</array>".repeat(70)}`)],
  ];
  it.each(refused)("UNSUPPORTED: %s", (_, text) => {
    expect(scanXmlPlist(text)).toBe(UNSUPPORTED);
  });
});

/** One "character" of generated text: plain, markup-significant, line breaks xmldom rewrites, astral. */
const textUnit = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(..."aZ09 .-_/\t\n") },
  {
    weight: 3,
    arbitrary: fc.constantFrom("<", ">", "&", '"', "'", ";", "]]>", "&amp;", "\r", "\r\n", "\u0085", "\u2028", "\u2029", "\u00a0", "é", "€", "\uFFFD", "😀", "\u{10FFFF}", "\u007f", "\u0080"),
  },
  {
    weight: 2,
    // Any code point XML can carry (plist.build refuses the others).
    arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }).filter((c) => /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]$/u.test(c)),
  },
);
const plistText = fc
  .tuple(fc.constantFrom("", " ", "\n\t", "  "), fc.string({ unit: textUnit, maxLength: 20 }), fc.constantFrom("", " ", "\t\n"))
  .map(([lead, body, trail]) => lead + body + trail);
const plistKey = plistText.filter((k) => k !== "__proto__");

const { value: plistValue } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    plistText,
    fc.integer(),
    fc.maxSafeInteger(),
    fc.constantFrom(0, -1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 53 + 2),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.date({ min: new Date("1900-01-01T00:00:00Z"), max: new Date("2100-01-01T00:00:00Z"), noInvalidDate: true }),
    fc.uint8Array({ maxLength: 80 }).map((bytes) => Buffer.from(bytes)),
    tie("array"),
    tie("dict"),
  ),
  array: fc.array(tie("value"), { maxLength: 5 }),
  dict: fc.dictionary(plistKey, tie("value"), { maxKeys: 6, noNullPrototype: true }),
}));

describe("scanXmlPlist on plist.build output", () => {
  it("decodes 3,000 random values, equal to plist.parse, and decodePlist does not change", () => {
    fc.assert(
      fc.property(plistValue, (value) => {
        const text = build(value as Parameters<typeof build>[0]);
        const scanned = scanXmlPlist(text);
        expect(scanned).not.toBe(UNSUPPORTED);
        expectSame(scanned, parse(text));
        expect(outcome(() => decodePlist(text))).toStrictEqual(outcome(() => decodePlist(plistOnly(text))));
      }),
      { numRuns: 3000, seed: 20260601 },
    );
  });
});

/** Markup fragments and characters a mutation splices in: enough to form and break tags, references, text. */
const splice = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: fc.constantFrom(..."aZ09 .-_\t\n", "é", "😀"), minLength: 1, maxLength: 3 }) },
  fc.string({ unit: fc.constantFrom(..."<>/&;#x\"'=!?[]- \t\r\nAQ09akeystringdct", "\uFEFF", "\u2028", "\u0085", "é", "😀", "\uD83D", "\u0000"), minLength: 1, maxLength: 4 }),
  fc.constantFrom(
    "<key>",
    "</key>",
    "<key/>",
    "<string>",
    "</string>",
    "<string/>",
    "<dict>",
    "</dict>",
    "<dict/>",
    "<array>",
    "</array>",
    "<integer>",
    "</integer>",
    "<data>",
    "</data>",
    "<true/>",
    "<false/>",
    "<!-- c -->",
    "<![CDATA[x]]>",
    "&amp;",
    "&lt",
    "&#65;",
    "&#x1F600;",
    "&#0;",
    "&#xD;",
    "__proto__",
    "QQ==",
    "=",
    "</plist>",
    '<plist version="1.0">',
    "<key>a</key>",
    "<key>Status</key>",
    "<key>Status</key><string>Dup</string>",
    "<string>x</string>",
    "<integer>-7</integer>",
    "<real>2.5</real>",
    "<date>2024-06-01T00:00:00Z</date>",
    "<data>QUJD</data>",
    "<array><true/></array>",
  ),
);
type Mutation =
  | { kind: "insert" | "replace" | "after-tag"; at: number; text: string }
  | { kind: "delete"; at: number; length: number }
  | { kind: "truncate"; at: number }
  | { kind: "duplicate"; at: number; length: number; to: number };
/** Where a mutation applies, as a fraction of the text; unbiased, or fast-check would pile it on the ends. */
const at = fc.noBias(fc.integer({ min: 0, max: 1_000_000 })).map((n) => n / 1_000_001);
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constantFrom("insert" as const, "replace" as const), at, text: splice }),
  // Right after a tag: into a value's text or between elements, where an edit can leave the document valid.
  fc.record({ kind: fc.constant("after-tag" as const), at, text: splice }),
  fc.record({ kind: fc.constant("delete" as const), at, length: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at }),
  fc.record({ kind: fc.constant("duplicate" as const), at, length: fc.integer({ min: 1, max: 40 }), to: at }),
);

function mutate(text: string, mutations: Mutation[]): string {
  let out = text;
  for (const m of mutations) {
    const i = Math.floor(m.at * (out.length + 1));
    switch (m.kind) {
      case "insert":
        out = out.slice(0, i) + m.text + out.slice(i);
        break;
      case "after-tag": {
        const j = out.indexOf(">", i) + 1 || out.length;
        out = out.slice(0, j) + m.text + out.slice(j);
        break;
      }
      case "replace":
        out = out.slice(0, i) + m.text + out.slice(i + m.text.length);
        break;
      case "delete":
        out = out.slice(0, i) + out.slice(i + m.length);
        break;
      case "truncate":
        out = out.slice(0, i);
        break;
      case "duplicate": {
        const j = Math.floor(m.to * (out.length + 1));
        out = out.slice(0, j) + out.slice(i, i + m.length) + out.slice(j);
      }
    }
  }
  return out;
}

/** Either the scanner steps aside, or plist.parse agrees with it; the scanner itself never throws. */
function checkMutant(text: string): void {
  let scanned: unknown;
  expect(() => (scanned = scanXmlPlist(text))).not.toThrow();
  if (scanned === UNSUPPORTED) return;
  let parsed: unknown;
  expect(() => (parsed = parse(text))).not.toThrow();
  expectSame(scanned, parsed);
}

describe("scanXmlPlist on mutated fixtures", () => {
  it("6,000 mutants of the small fixtures: UNSUPPORTED or equal to plist.parse", () => {
    fc.assert(
      fc.property(fc.constantFrom(...small), fc.array(mutation, { minLength: 1, maxLength: 2 }), (fixture, mutations) => {
        checkMutant(mutate(fixture.text, mutations));
      }),
      { numRuns: 6000, seed: 424242 },
    );
  });

  it("60 mutants of the 300-app InstalledApplicationList", () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (mutations) => {
        checkMutant(mutate(big.text, mutations));
      }),
      { numRuns: 60, seed: 99 },
    );
  });
});

describe("decodePlist with the scanner", () => {
  it.each(fixtures.map((f) => [f.name, f.text] as const))("%s: same value or error as the plist-only path", (_, text) => {
    if (text.includes('<plist version="1.0">')) expect(scanXmlPlist(plistOnly(text))).toBe(UNSUPPORTED);
    expect(outcome(() => decodePlist(text))).toStrictEqual(outcome(() => decodePlist(plistOnly(text))));
  });
});

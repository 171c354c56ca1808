// A fast path for the XML plists Macs send. plist@5 builds a whole xmldom DOM per body (~25 µs for an Idle
// report, ~10 ms for a 66 KB InstalledApplicationList); this scanner reads the text once and builds the value
// directly (~1 µs and ~0.4 ms). It decodes only a strict subset, exactly as plist@5's parse() would (same values, same prototypes,
// same key order), and answers UNSUPPORTED for anything else: comments, CDATA, attributes, unknown entities,
// malformed markup, values plist@5 rejects. plist.ts then falls back to plist@5, so plist@5 keeps the final
// word on every unusual body and nothing here has to reproduce xmldom's error recovery. It never throws.

export const UNSUPPORTED: unique symbol = Symbol("unsupported by the plist scanner");
type Unsupported = typeof UNSUPPORTED;

/** Far beyond what decodePlist accepts (MAX_PLIST_DEPTH); it only keeps the recursion off the stack limit. */
const MAX_DEPTH = 64;

// xmldom matches the declaration against XMLDecl and refuses it anywhere but offset 0 (so also after a BOM or
// whitespace); these forms pass as they are.
const XML_DECLARATION = /^<\?xml version="1\.0"(?: encoding="(?:UTF-8|utf-8)")?(?: standalone="(?:yes|no)")?\?>/;
// xmldom checks public ids character by character; only the ids Apple writes are taken here.
const DOCTYPES = [
  '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
  '<!DOCTYPE plist PUBLIC "-//Apple Computer//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
];

const LT = 0x3c;
const AMP = 0x26;
const GT = 0x3e;

/** Parses an XML plist the way plist@5's parse() does, or returns UNSUPPORTED when it is not sure it can. */
export function scanXmlPlist(text: string): unknown {
  return new Scanner(text).document();
}

class Scanner {
  private pos = 0;

  constructor(private readonly text: string) {}

  document(): unknown {
    if (this.text.startsWith("<?xml")) {
      const declaration = XML_DECLARATION.exec(this.text);
      if (!declaration) return UNSUPPORTED;
      this.pos = declaration[0].length;
    }
    this.skipSpace();
    if (this.text.startsWith("<!", this.pos)) {
      const doctype = DOCTYPES.find((d) => this.text.startsWith(d, this.pos));
      if (!doctype) return UNSUPPORTED;
      this.pos += doctype.length;
      this.skipSpace();
    }
    if (!this.eat('<plist version="1.0">') && !this.eat("<plist>")) return UNSUPPORTED;
    this.skipSpace();
    // plist@5 returns an array for a root with several values (or none); only the single-value root is taken.
    const value = this.value(0);
    if (value === UNSUPPORTED) return UNSUPPORTED;
    this.skipSpace();
    if (!this.eat("</plist>")) return UNSUPPORTED;
    this.skipSpace();
    return this.pos === this.text.length ? value : UNSUPPORTED;
  }

  /** One value element at the cursor. plist@5 also takes a `<key>` as a value in arrays and at the root; not here. */
  private value(depth: number): unknown {
    const t = this.text;
    if (t.charCodeAt(this.pos) !== LT) return UNSUPPORTED;
    switch (t.charCodeAt(this.pos + 1)) {
      case 0x73: // s
        if (this.eat("<string>")) return this.content("</string>");
        if (this.eat("<string/>")) return "";
        break;
      case 0x64: // d
        if (this.eat("<dict>")) return this.dict(depth + 1);
        if (this.eat("<dict/>")) return {};
        if (this.eat("<data>")) return decodeBase64(this.content("</data>"));
        if (this.eat("<data/>")) return new Uint8Array(0);
        if (this.eat("<date>")) return decodeDate(this.content("</date>"));
        break;
      case 0x61: // a
        if (this.eat("<array>")) return this.array(depth + 1);
        if (this.eat("<array/>")) return [];
        break;
      case 0x69: // i
        if (this.eat("<integer>")) {
          const digits = this.content("</integer>");
          return digits === UNSUPPORTED ? digits : finite(parseInt(digits, 10));
        }
        break;
      case 0x72: // r
        if (this.eat("<real>")) {
          const digits = this.content("</real>");
          return digits === UNSUPPORTED ? digits : finite(parseFloat(digits));
        }
        break;
      case 0x74: // t
        if (this.eat("<true/>")) return true;
        break;
      case 0x66: // f
        if (this.eat("<false/>")) return false;
        break;
    }
    return UNSUPPORTED;
  }

  private dict(depth: number): unknown {
    if (depth > MAX_DEPTH) return UNSUPPORTED;
    // A plain object, like plist@5's: keys are assigned in document order, a repeated key keeps its first
    // position and its last value.
    const out: Record<string, unknown> = {};
    for (;;) {
      this.skipSpace();
      if (this.eat("</dict>")) return out;
      let key: string | Unsupported = UNSUPPORTED;
      if (this.eat("<key>")) key = this.content("</key>");
      else if (this.eat("<key/>")) key = "";
      // plist@5 throws on "__proto__"; the other prototype names are ordinary keys to it.
      if (key === UNSUPPORTED || key === "__proto__") return UNSUPPORTED;
      this.skipSpace();
      if (this.eat("</dict>")) {
        out[key] = ""; // plist@5 gives a trailing key without a value the empty string
        return out;
      }
      const value = this.value(depth);
      if (value === UNSUPPORTED) return UNSUPPORTED;
      out[key] = value;
    }
  }

  private array(depth: number): unknown {
    if (depth > MAX_DEPTH) return UNSUPPORTED;
    const out: unknown[] = [];
    for (;;) {
      this.skipSpace();
      if (this.eat("</array>")) return out;
      const value = this.value(depth);
      if (value === UNSUPPORTED) return UNSUPPORTED;
      out.push(value);
    }
  }

  /** The decoded text up to `close`, which must follow it directly: no markup inside a value element. */
  private content(close: string): string | Unsupported {
    const start = this.pos;
    const end = this.text.indexOf("<", start);
    if (end < 0 || !this.text.startsWith(close, end)) return UNSUPPORTED;
    this.pos = end + close.length;
    return decodeText(this.text, start, end);
  }

  /** Skips the whitespace plist@5 ignores between elements (XML's S; anything else there is left to it). */
  private skipSpace(): void {
    const t = this.text;
    let p = this.pos;
    for (let c = t.charCodeAt(p); c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d; c = t.charCodeAt(++p));
    this.pos = p;
  }

  private eat(token: string): boolean {
    if (!this.text.startsWith(token, this.pos)) return false;
    this.pos += token.length;
    return true;
  }
}

/**
 * Character data as xmldom hands it to plist@5: line endings normalised first (xmldom does it to the whole
 * source, including U+0085 and U+2028/9), references decoded after, so `&#xD;` survives as CR. Characters
 * xmldom lets through but XML forbids (controls, U+FFFE/U+FFFF, lone surrogates) and a raw `>` (never
 * written by Apple's or plist's encoder, and `]]>` is an error) are left to the fallback.
 */
function decodeText(t: string, start: number, end: number): string | Unsupported {
  let lineBreaks = false;
  let references = false;
  for (let i = start; i < end; i++) {
    const c = t.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f) {
      if (c === AMP) references = true;
      else if (c === GT) return UNSUPPORTED;
    } else if (c === 0x0d || c === 0x85 || c === 0x2028 || c === 0x2029) {
      lineBreaks = true;
    } else if (c < 0x20) {
      if (c !== 0x09 && c !== 0x0a) return UNSUPPORTED;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const low = i + 1 < end ? t.charCodeAt(i + 1) : 0;
      if (c > 0xdbff || low < 0xdc00 || low > 0xdfff) return UNSUPPORTED;
      i++;
    } else if (c === 0xfffe || c === 0xffff) {
      return UNSUPPORTED;
    }
  }
  let s = t.slice(start, end);
  // The same two replacements as xmldom's normalizeLineEndings, so the pairs collapse identically.
  if (lineBreaks) s = s.replace(/\r[\n\u0085]/g, "\n").replace(/[\r\u0085\u2028\u2029]/g, "\n");
  return references ? decodeReferences(s) : s;
}

/** The five predefined entities and character references; any other `&` (xmldom keeps it raw) is left to it. */
function decodeReferences(s: string): string | Unsupported {
  let out = "";
  let from = 0;
  for (let amp = s.indexOf("&"); amp >= 0; amp = s.indexOf("&", from)) {
    const semicolon = s.indexOf(";", amp + 1);
    if (semicolon < 0 || semicolon - amp > 11) return UNSUPPORTED;
    const replacement = reference(s.slice(amp + 1, semicolon));
    if (replacement === UNSUPPORTED) return UNSUPPORTED;
    out += s.slice(from, amp) + replacement;
    from = semicolon + 1;
  }
  return out + s.slice(from);
}

function reference(name: string): string | Unsupported {
  switch (name) {
    case "amp":
      return "&";
    case "lt":
      return "<";
    case "gt":
      return ">";
    case "quot":
      return '"';
    case "apos":
      return "'";
  }
  // xmldom takes `&#x…;` (lowercase x only) and `&#…;` and does not check the code point; only XML Chars
  // are taken here, so String.fromCodePoint cannot throw.
  const hex = name.startsWith("#x");
  const digits = name.slice(hex ? 2 : 1);
  if (!name.startsWith("#") || !(hex ? /^[0-9a-fA-F]+$/ : /^[0-9]+$/).test(digits)) return UNSUPPORTED;
  const code = parseInt(digits, hex ? 16 : 10);
  const isChar =
    code === 0x09 ||
    code === 0x0a ||
    code === 0x0d ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff);
  return isChar ? String.fromCodePoint(code) : UNSUPPORTED;
}

/** What plist@5 gets from atob() after stripping `\s`, for the inputs atob accepts (the rest throw there). */
function decodeBase64(text: string | Unsupported): Uint8Array | Unsupported {
  if (text === UNSUPPORTED) return UNSUPPORTED;
  const s = text.replace(/\s+/g, "");
  let padding = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x3d) {
      padding++;
      continue;
    }
    const base64 =
      (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2f;
    if (!base64 || padding > 0) return UNSUPPORTED;
  }
  // atob (forgiving-base64): `=` only completes the last group of four, at most twice, and a last group of
  // a single character is an error.
  if (padding > 2 || (padding > 0 && s.length % 4 !== 0) || (s.length - padding) % 4 === 1) return UNSUPPORTED;
  // A copy, so the value is a plain Uint8Array that does not share Buffer's pool, as plist@5's is.
  return new Uint8Array(Buffer.from(s, "base64"));
}

function decodeDate(text: string | Unsupported): Date | Unsupported {
  if (text === UNSUPPORTED) return UNSUPPORTED;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? UNSUPPORTED : date;
}

/** plist@5 passes NaN and ±Infinity on and normalize() refuses them; the fallback words that refusal. */
function finite(n: number): number | Unsupported {
  return Number.isFinite(n) ? n : UNSUPPORTED;
}

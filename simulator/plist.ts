// The virtual Mac's own XML property-list codec. It shares nothing with the server's codec on purpose: a
// bug on one side cannot hide behind the same bug on the other. Apple's XML plist format (DTD
// "-//Apple//DTD PLIST 1.0//EN"): dict, array, string, integer, real, true/false, date, data (base64).

/** Forces `<real>` for a value that happens to be integral (a plain integral number is written as `<integer>`). */
export class PlistReal {
  constructor(readonly value: number) {}
}

export type PlistDict = { [key: string]: PlistValue };
/** A decoded value. `<integer>` is a number (a bigint beyond 2^53), `<data>` a Uint8Array, `<date>` a Date. */
export type PlistValue = string | number | bigint | boolean | Date | Uint8Array | PlistValue[] | PlistDict;
/** What the writer accepts: decoded values, `PlistReal`, and undefined dictionary values (dropped). */
export type PlistInput = string | number | bigint | boolean | Date | Uint8Array | PlistReal | PlistInput[] | PlistInputDict;
export type PlistInputDict = { [key: string]: PlistInput | undefined };

export class PlistError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PlistError";
  }
}

const HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0">\n';
const MAX_DEPTH = 64;
const DATA_LINE = 68;

// ---------------------------------------------------------------------------------------------------------
// Writer
// ---------------------------------------------------------------------------------------------------------

/** Escapes text for element content: &, < and > (the only three a plist writer must escape). */
export function escapeXml(text: string): string {
  // A carriage return is written as a character reference: XML parsers turn a literal one into "\n".
  return text.replace(/[&<>\r]/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : "&#13;"));
}

function formatDate(d: Date): string {
  if (Number.isNaN(d.getTime())) throw new PlistError("cannot write an invalid Date");
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function formatReal(n: number): string {
  if (Number.isNaN(n)) return "nan";
  if (n === Infinity) return "+infinity";
  if (n === -Infinity) return "-infinity";
  return String(n);
}

function isDictInput(v: PlistInput): v is PlistInputDict {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date) && !(v instanceof Uint8Array) && !(v instanceof PlistReal);
}

function writeValue(v: PlistInput, indent: string, out: string[], depth: number): void {
  if (depth > MAX_DEPTH) throw new PlistError(`cannot write a plist nested deeper than ${MAX_DEPTH} levels`);
  if (typeof v === "string") return void out.push(`${indent}<string>${escapeXml(v)}</string>`);
  if (typeof v === "boolean") return void out.push(`${indent}<${v ? "true" : "false"}/>`);
  if (typeof v === "bigint") return void out.push(`${indent}<integer>${v.toString()}</integer>`);
  if (typeof v === "number") {
    if (Number.isInteger(v)) return void out.push(`${indent}<integer>${v}</integer>`);
    return void out.push(`${indent}<real>${formatReal(v)}</real>`);
  }
  if (v instanceof PlistReal) return void out.push(`${indent}<real>${formatReal(v.value)}</real>`);
  if (v instanceof Date) return void out.push(`${indent}<date>${formatDate(v)}</date>`);
  if (v instanceof Uint8Array) {
    const b64 = Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64");
    if (b64.length === 0) return void out.push(`${indent}<data></data>`);
    // As CFPropertyList writes it: the base64 on its own lines, at the element's indentation.
    out.push(`${indent}<data>`);
    for (let i = 0; i < b64.length; i += DATA_LINE) out.push(`${indent}${b64.slice(i, i + DATA_LINE)}`);
    return void out.push(`${indent}</data>`);
  }
  if (Array.isArray(v)) {
    if (v.length === 0) return void out.push(`${indent}<array/>`);
    out.push(`${indent}<array>`);
    for (const item of v) writeValue(item, `${indent}\t`, out, depth + 1);
    return void out.push(`${indent}</array>`);
  }
  if (isDictInput(v)) {
    // CFPropertyList sorts dictionary keys; so do we (code-unit order).
    const keys = Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (keys.length === 0) return void out.push(`${indent}<dict/>`);
    out.push(`${indent}<dict>`);
    for (const k of keys) {
      out.push(`${indent}\t<key>${escapeXml(k)}</key>`);
      writeValue(v[k]!, `${indent}\t`, out, depth + 1);
    }
    return void out.push(`${indent}</dict>`);
  }
  throw new PlistError(`cannot write a value of type ${typeof v}`);
}

/** Builds an XML plist document (UTF-8 text) from a value. */
export function encodePlist(value: PlistInput): string {
  const out: string[] = [];
  writeValue(value, "", out, 0);
  return `${HEADER}${out.join("\n")}\n</plist>\n`;
}

// ---------------------------------------------------------------------------------------------------------
// Reader
// ---------------------------------------------------------------------------------------------------------

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function decodeEntities(raw: string, at: number): string {
  return raw.replace(/&([^;&<\s]{1,10});/g, (whole, name: string) => {
    if (name.startsWith("#")) {
      const code = name[1] === "x" || name[1] === "X" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      if (!Number.isInteger(code) || code < 0 || code > 0x10ffff) throw new PlistError(`bad character reference ${whole} near offset ${at}`);
      return String.fromCodePoint(code);
    }
    const text = ENTITIES[name];
    if (text === undefined) throw new PlistError(`unknown entity ${whole} near offset ${at}`);
    return text;
  });
}

type Tag = { name: string; closing: boolean; selfClosing: boolean };

class Reader {
  pos = 0;
  constructor(private readonly s: string) {}

  fail(message: string): never {
    throw new PlistError(`${message} (offset ${this.pos})`);
  }

  skipWhitespace() {
    while (this.pos < this.s.length && /\s/.test(this.s[this.pos]!)) this.pos++;
  }

  /** Skips whitespace, comments, processing instructions and a DOCTYPE (without internal subset). */
  skipMisc() {
    for (;;) {
      this.skipWhitespace();
      if (this.s.startsWith("<!--", this.pos)) {
        const end = this.s.indexOf("-->", this.pos + 4);
        if (end < 0) this.fail("unterminated comment");
        this.pos = end + 3;
      } else if (this.s.startsWith("<?", this.pos)) {
        const end = this.s.indexOf("?>", this.pos + 2);
        if (end < 0) this.fail("unterminated processing instruction");
        this.pos = end + 2;
      } else if (this.s.startsWith("<!DOCTYPE", this.pos)) {
        const end = this.s.indexOf(">", this.pos);
        if (end < 0) this.fail("unterminated DOCTYPE");
        if (this.s.slice(this.pos, end).includes("[")) this.fail("DOCTYPE internal subsets are not accepted");
        this.pos = end + 1;
      } else return;
    }
  }

  readTag(): Tag {
    this.skipMisc();
    if (this.s[this.pos] !== "<") this.fail("expected a tag");
    const end = this.s.indexOf(">", this.pos);
    if (end < 0) this.fail("unterminated tag");
    let inner = this.s.slice(this.pos + 1, end).trim();
    this.pos = end + 1;
    const closing = inner.startsWith("/");
    if (closing) inner = inner.slice(1).trim();
    const selfClosing = inner.endsWith("/");
    if (selfClosing) inner = inner.slice(0, -1).trim();
    const name = /^[A-Za-z_][\w.-]*/.exec(inner)?.[0];
    if (!name) this.fail("bad tag");
    return { name, closing, selfClosing };
  }

  /** Text up to `</name>`, with entities and CDATA resolved; nested elements are refused. */
  readText(name: string): string {
    let out = "";
    for (;;) {
      const lt = this.s.indexOf("<", this.pos);
      if (lt < 0) this.fail(`unterminated <${name}>`);
      // XML end-of-line handling first (CRLF and lone CR become LF), then references.
      out += decodeEntities(this.s.slice(this.pos, lt).replace(/\r\n?/g, "\n"), this.pos);
      this.pos = lt;
      if (this.s.startsWith("<![CDATA[", lt)) {
        const end = this.s.indexOf("]]>", lt + 9);
        if (end < 0) this.fail("unterminated CDATA section");
        out += this.s.slice(lt + 9, end);
        this.pos = end + 3;
        continue;
      }
      if (this.s.startsWith("<!--", lt)) {
        const end = this.s.indexOf("-->", lt + 4);
        if (end < 0) this.fail("unterminated comment");
        this.pos = end + 3;
        continue;
      }
      const tag = this.readTag();
      if (!tag.closing || tag.name !== name) this.fail(`unexpected <${tag.closing ? "/" : ""}${tag.name}> inside <${name}>`);
      return out;
    }
  }

  readValue(tag: Tag, depth: number): PlistValue {
    if (depth > MAX_DEPTH) this.fail(`plist nested deeper than ${MAX_DEPTH} levels`);
    if (tag.closing) this.fail(`unexpected </${tag.name}>`);
    const text = () => (tag.selfClosing ? "" : this.readText(tag.name));
    switch (tag.name) {
      case "true":
      case "false":
        if (!tag.selfClosing) this.readText(tag.name);
        return tag.name === "true";
      case "string":
        return text();
      case "integer":
        return parseInteger(text().trim(), this.pos);
      case "real":
        return parseReal(text().trim(), this.pos);
      case "date": {
        const t = text().trim();
        if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(t)) this.fail(`bad <date> ${JSON.stringify(t.slice(0, 40))}`);
        const d = new Date(t);
        if (Number.isNaN(d.getTime())) this.fail(`bad <date> ${JSON.stringify(t)}`);
        return d;
      }
      case "data": {
        const compact = text().replace(/\s+/g, "");
        if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1) this.fail("bad base64 in <data>");
        return new Uint8Array(Buffer.from(compact, "base64"));
      }
      case "array": {
        const items: PlistValue[] = [];
        if (tag.selfClosing) return items;
        for (;;) {
          const next = this.readTag();
          if (next.closing) {
            if (next.name !== "array") this.fail(`unexpected </${next.name}> in <array>`);
            return items;
          }
          items.push(this.readValue(next, depth + 1));
        }
      }
      case "dict": {
        const dict: PlistDict = {};
        if (tag.selfClosing) return dict;
        for (;;) {
          const next = this.readTag();
          if (next.closing) {
            if (next.name !== "dict") this.fail(`unexpected </${next.name}> in <dict>`);
            return dict;
          }
          if (next.name !== "key") this.fail(`expected <key> in <dict>, found <${next.name}>`);
          const key = next.selfClosing ? "" : this.readText("key");
          const valueTag = this.readTag();
          if (valueTag.closing) this.fail(`<key>${key}</key> has no value`);
          // defineProperty keeps "__proto__" an ordinary own key instead of changing the prototype.
          Object.defineProperty(dict, key, { value: this.readValue(valueTag, depth + 1), enumerable: true, writable: true, configurable: true });
        }
      }
      default:
        return this.fail(`unknown element <${tag.name}>`);
    }
  }
}

function parseInteger(t: string, at: number): number | bigint {
  let big: bigint;
  if (/^[+-]?\d+$/.test(t)) big = BigInt(t);
  else if (/^[+-]?0x[0-9a-f]+$/i.test(t)) big = t.startsWith("-") ? -BigInt(t.slice(1)) : BigInt(t.replace(/^\+/, ""));
  else throw new PlistError(`bad <integer> ${JSON.stringify(t.slice(0, 40))} (offset ${at})`);
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

function parseReal(t: string, at: number): number {
  const lower = t.toLowerCase();
  if (lower === "nan") return NaN;
  if (lower === "inf" || lower === "+inf" || lower === "infinity" || lower === "+infinity") return Infinity;
  if (lower === "-inf" || lower === "-infinity") return -Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) throw new PlistError(`bad <real> ${JSON.stringify(t.slice(0, 40))} (offset ${at})`);
  return Number(t);
}

/** Parses an XML plist (text, or UTF-8 bytes). Throws PlistError with a one-line reason. */
export function decodePlist(input: string | Uint8Array): PlistValue {
  let text: string;
  if (typeof input === "string") text = input;
  else {
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(input);
    } catch {
      throw new PlistError("plist is not valid UTF-8");
    }
  }
  text = text.replace(/^\uFEFF/, "");
  if (text.startsWith("bplist")) throw new PlistError("binary plists are not supported");
  const r = new Reader(text);
  let tag = r.readTag();
  let wrapped = false;
  if (tag.name === "plist" && !tag.closing) {
    if (tag.selfClosing) throw new PlistError("empty <plist/>");
    wrapped = true;
    tag = r.readTag();
  }
  const value = r.readValue(tag, 0);
  if (wrapped) {
    const end = r.readTag();
    if (!end.closing || end.name !== "plist") r.fail("expected </plist>");
  }
  r.skipMisc();
  if (r.pos !== text.length) r.fail("trailing content after the plist");
  return value;
}

// ---------------------------------------------------------------------------------------------------------
// Small accessors for decoded values
// ---------------------------------------------------------------------------------------------------------

export function isPlistDict(v: PlistValue | undefined): v is PlistDict {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date) && !(v instanceof Uint8Array);
}

export const stringAt = (d: PlistDict, key: string): string | undefined => {
  const v = d[key];
  return typeof v === "string" ? v : undefined;
};

export const integerAt = (d: PlistDict, key: string): number | undefined => {
  const v = d[key];
  return typeof v === "number" && Number.isInteger(v) ? v : undefined;
};

export const booleanAt = (d: PlistDict, key: string): boolean | undefined => {
  const v = d[key];
  return typeof v === "boolean" ? v : undefined;
};

export const dataAt = (d: PlistDict, key: string): Uint8Array | undefined => {
  const v = d[key];
  return v instanceof Uint8Array ? v : undefined;
};

export const dictAt = (d: PlistDict, key: string): PlistDict | undefined => {
  const v = d[key];
  return isPlistDict(v) ? v : undefined;
};

export const arrayAt = (d: PlistDict, key: string): PlistValue[] | undefined => {
  const v = d[key];
  return Array.isArray(v) ? v : undefined;
};

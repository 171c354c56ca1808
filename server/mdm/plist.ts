// The plist codec: the only importer of `plist` (STYLE §3.2). Only XML reaches the parser, after cheap
// structural checks (reliability-security.md §1.6): binary and OpenStep plists, entity declarations, deep
// nesting and prototype keys are refused before xmldom sees them, and checked again on the parsed value.
// Bodies in the plain form Macs write are decoded by plist-scanner.ts instead, to the very value plist's
// parse() gives; every other body still goes to plist, so it alone decides the odd and the malformed.
import { build, parse } from "plist";

import { scanXmlPlist, UNSUPPORTED } from "./plist-scanner";

/** A decoded plist value. `<data>` is normalised to a base64 string (one encoding, STYLE §3.5). */
export type PlistValue = string | number | boolean | Date | PlistValue[] | { [key: string]: PlistValue };
/** What the encoder accepts: decoded values plus raw bytes for `<data>`. */
export type PlistInput = string | number | boolean | Date | Uint8Array | PlistInput[] | { [key: string]: PlistInput | undefined };

export const MAX_PLIST_DEPTH = 32;
const FORBIDDEN_KEYS = new Set(["__proto__", "prototype", "constructor"]);

/** Why a body was refused: one line, safe to send back to the device. */
export class PlistError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PlistError";
  }
}

/** Refuses what must never reach the XML parser, by looking at the text only. */
export function precheckXmlPlist(text: string): void {
  const head = text.replace(/^\uFEFF/, "").trimStart();
  if (head.length === 0) throw new PlistError("empty body");
  if (head.startsWith("bplist")) throw new PlistError("binary plists are not accepted: send an XML plist");
  if (!head.startsWith("<")) throw new PlistError("not an XML plist (OpenStep and other formats are not accepted)");
  if (/<!ENTITY/i.test(text)) throw new PlistError("entity declarations are not accepted");
  if (/<!DOCTYPE[^>]*\[/i.test(text)) throw new PlistError("DOCTYPE internal subsets are not accepted");

  let depth = 0;
  const tags = /<(\/?)(dict|array)\b[^>]*?(\/?)>/g;
  for (let m = tags.exec(text); m; m = tags.exec(text)) {
    if (m[3] === "/") continue; // <dict/> opens and closes
    depth += m[1] === "/" ? -1 : 1;
    if (depth > MAX_PLIST_DEPTH) throw new PlistError(`plist nested deeper than ${MAX_PLIST_DEPTH} levels`);
  }
  const key = /<key>\s*(__proto__|prototype|constructor)\s*<\/key>/.exec(text);
  if (key) throw new PlistError(`forbidden key ${key[1]}`);
}

/** Walks a parsed value: normalises `<data>` to base64, refuses forbidden keys, bad numbers and depth. */
function normalize(value: unknown, depth: number): PlistValue {
  if (depth > MAX_PLIST_DEPTH) throw new PlistError(`plist nested deeper than ${MAX_PLIST_DEPTH} levels`);
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64");
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new PlistError("invalid <date> value");
    return value;
  }
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new PlistError("invalid <integer> or <real> value");
    return value;
  }
  if (typeof value === "string" || typeof value === "boolean") return value;
  if (Array.isArray(value)) return value.map((v) => normalize(v, depth + 1));
  if (value !== null && typeof value === "object") {
    const out: Record<string, PlistValue> = Object.create(null) as Record<string, PlistValue>;
    for (const [k, v] of Object.entries(value)) {
      if (FORBIDDEN_KEYS.has(k)) throw new PlistError(`forbidden key ${k}`);
      out[k] = normalize(v, depth + 1);
    }
    return out;
  }
  throw new PlistError("unsupported plist value");
}

/**
 * plist@5 builds its xmldom DOMParser without options, so xmldom reports every malformed body on the
 * console: hostile input would flood the log. parse() is synchronous, so silencing the console for
 * exactly that call affects nothing else; the failure still reaches us as an exception.
 */
function parseQuietly(text: string): unknown {
  const { error, warn } = console;
  console.error = () => {};
  console.warn = () => {};
  try {
    return parse(text);
  } finally {
    console.error = error;
    console.warn = warn;
  }
}

/** Parses an XML plist, or throws PlistError with a one-line reason. */
export function decodePlist(text: string): PlistValue {
  precheckXmlPlist(text);
  const scanned = scanXmlPlist(text);
  if (scanned !== UNSUPPORTED) return normalize(scanned, 0);
  let parsed: unknown;
  try {
    parsed = parseQuietly(text);
  } catch (e) {
    const first = ((e as Error).message || "parse error").split("\n")[0]!.replace(/\[xmldom[^\]]*\]\s*/g, "").trim();
    throw new PlistError(`malformed plist: ${first.slice(0, 200)}`);
  }
  return normalize(parsed, 0);
}

function toBuildable(value: PlistInput | undefined): unknown {
  if (value === undefined) return undefined;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (Array.isArray(value)) return value.map(toBuildable);
  if (value instanceof Date || typeof value !== "object") return value;
  // No prototype: a "__proto__" key is then a key like any other, not the object's prototype.
  const out = Object.create(null) as Record<string, unknown>;
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toBuildable(v);
  return out;
}

/** plist's `build` itself: the reference encodePlist is tested against, and what it falls back to. */
export function buildWithPlist(value: PlistInput): string {
  return build(toBuildable(value) as Parameters<typeof build>[0]);
}

/**
 * Builds an XML plist, byte for byte what plist's `build` writes (plist.test.ts compares them on fixtures and
 * on generated values). Integral numbers become `<integer>`; Uint8Array becomes `<data>`; undefined keys are
 * dropped. `build` goes through xmlbuilder's document tree: 12 µs for a small command, and 6 % of the event
 * loop's CPU in an enrollment storm (the profile). Anything this writer does not cover as `build` would
 * (another type, a character XML 1.0 forbids, an invalid date) is left to `build`, which decides it.
 */
export function encodePlist(value: PlistInput): string {
  const out: string[] = [XML_HEAD];
  try {
    if (!writeValue(value, 1, out)) return buildWithPlist(value); // nothing inside <plist>
  } catch (e) {
    if (e === NOT_COVERED) return buildWithPlist(value);
    throw e;
  }
  out.push("</plist>");
  return out.join("\n");
}

const XML_HEAD =
  '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0">';
/** Thrown (one instance, made once) for a value left to `build`. */
const NOT_COVERED = new Error("left to plist's build");
/** xmlbuilder's XML 1.0 character check (XMLStringifier.assertLegalChar): `build` throws on these. */
// eslint-disable-next-line no-control-regex -- the control characters XML 1.0 forbids are what it looks for.
const ILLEGAL_XML_CHAR = /[\0-\x08\x0B\f\x0E-\x1F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?:[^\uD800-\uDBFF]|^)[\uDC00-\uDFFF]/;
const NEEDS_ESCAPE = /[&<>\r]/;
const INDENTS: string[] = [];
const indent = (depth: number) => (INDENTS[depth] ??= "  ".repeat(depth));

/** Text as xmlbuilder escapes it (XMLStringifier.textEscape): &, <, > and carriage returns. */
function xmlText(text: string): string {
  if (ILLEGAL_XML_CHAR.test(text)) throw NOT_COVERED;
  return NEEDS_ESCAPE.test(text) ? text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\r/g, "&#xD;") : text;
}

function element(pad: string, tag: string, text: string): string {
  return text === "" ? `${pad}<${tag}/>` : `${pad}<${tag}>${text}</${tag}>`;
}

/** Writes one value's lines at `depth`; false when it writes nothing (an undefined array element). */
function writeValue(value: unknown, depth: number, out: string[]): boolean {
  const pad = indent(depth);
  if (typeof value === "string") out.push(element(pad, "string", xmlText(value)));
  else if (typeof value === "number") out.push(element(pad, value % 1 === 0 ? "integer" : "real", String(value)));
  else if (typeof value === "boolean") out.push(`${pad}<${value ? "true" : "false"}/>`);
  else if (value === undefined) return false;
  else if (value instanceof Uint8Array) out.push(element(pad, "data", Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64")));
  else if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw NOT_COVERED;
    out.push(element(pad, "date", value.toISOString().replace(/\.\d{3}Z$/, "Z")));
  } else if (Array.isArray(value)) {
    const start = out.length;
    out.push(`${pad}<array>`);
    let any = false;
    for (const item of value) if (writeValue(item, depth + 1, out)) any = true;
    if (!any) out.length = start;
    out.push(any ? `${pad}</array>` : `${pad}<array/>`);
  } else if (typeof value === "object" && value !== null && isPlainObject(value)) {
    const start = out.length;
    out.push(`${pad}<dict>`);
    let any = false;
    for (const key of Object.keys(value)) {
      const item = (value as Record<string, unknown>)[key];
      if (item === undefined) continue;
      out.push(element(indent(depth + 1), "key", xmlText(key)));
      writeValue(item, depth + 1, out);
      any = true;
    }
    if (!any) out.length = start;
    out.push(any ? `${pad}</dict>` : `${pad}<dict/>`);
  } else throw NOT_COVERED; // bigint, a class instance, an ArrayBuffer, another typed array…
  return true;
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

// Just enough DER to build a CMS signature, a certificate and a PKCS#12, and to slice fields out of them
// exactly as encoded. The one DER writer: Pomona's PKI (server/services/pki.ts) and the benchmark use it too,
// since simulator/ may import nothing from server/ while server/ may import from here.
import { createPublicKey, type KeyObject } from "node:crypto";

export type DerNode = {
  tag: number;
  /** Offset of the tag byte in the source. */
  start: number;
  /** Offset of the first content byte. */
  contentStart: number;
  /** Offset just past the content. */
  end: number;
};

/** Reads the TLV at `offset`. Definite lengths only (DER). */
export function readDer(buf: Uint8Array, offset = 0): DerNode {
  const tag = buf[offset];
  if (tag === undefined) throw new Error("DER: unexpected end of data");
  if ((tag & 0x1f) === 0x1f) throw new Error("DER: high tag numbers are not supported");
  let p = offset + 1;
  const first = buf[p++];
  if (first === undefined) throw new Error("DER: unexpected end of data");
  let length = first;
  if (first & 0x80) {
    const n = first & 0x7f;
    if (n === 0 || n > 4) throw new Error("DER: indefinite or oversized length");
    length = 0;
    for (let i = 0; i < n; i++) {
      const b = buf[p++];
      if (b === undefined) throw new Error("DER: unexpected end of data");
      length = length * 256 + b;
    }
  }
  const end = p + length;
  if (end > buf.length) throw new Error("DER: length runs past the end of data");
  return { tag, start: offset, contentStart: p, end };
}

/** The children of a constructed node (each must end within it). */
export function derChildren(buf: Uint8Array, node: DerNode): DerNode[] {
  const out: DerNode[] = [];
  for (let p = node.contentStart; p < node.end; ) {
    const child = readDer(buf, p);
    if (child.end > node.end) throw new Error("DER: an element runs past its container");
    out.push(child);
    p = child.end;
  }
  return out;
}

export const derBytes = (buf: Uint8Array, node: DerNode) => Buffer.from(buf.subarray(node.start, node.end));
export const derContent = (buf: Uint8Array, node: DerNode) => Buffer.from(buf.subarray(node.contentStart, node.end));

/** Dotted form of an OBJECT IDENTIFIER node. */
export function derOidText(buf: Uint8Array, node: DerNode): string {
  if (node.tag !== 0x06 || node.end === node.contentStart) throw new Error("DER: expected an OBJECT IDENTIFIER");
  const first = buf[node.contentStart]!;
  const arcs = [Math.min(2, Math.floor(first / 40)), first - Math.min(2, Math.floor(first / 40)) * 40];
  let value = 0;
  for (let i = node.contentStart + 1; i < node.end; i++) {
    value = value * 128 + (buf[i]! & 0x7f);
    if (!(buf[i]! & 0x80)) {
      arcs.push(value);
      value = 0;
    }
  }
  return arcs.join(".");
}

/** A non-negative INTEGER's value (up to 2^53). */
export function derUnsigned(buf: Uint8Array, node: DerNode): number {
  if (node.tag !== 0x02 || node.end === node.contentStart || buf[node.contentStart]! & 0x80) throw new Error("DER: expected a non-negative INTEGER");
  let value = 0;
  for (let i = node.contentStart; i < node.end; i++) value = value * 256 + buf[i]!;
  if (!Number.isSafeInteger(value)) throw new Error("DER: INTEGER too large");
  return value;
}

function encodeLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** A TLV with the given tag around the concatenated parts. */
export function tlv(tag: number, ...parts: Uint8Array[]): Buffer {
  const content = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag]), encodeLength(content.length), content]);
}

export const derSequence = (...parts: Uint8Array[]) => tlv(0x30, ...parts);
export const derSet = (...parts: Uint8Array[]) => tlv(0x31, ...parts);
export const derNull = () => Buffer.from([0x05, 0x00]);
export const derOctetString = (bytes: Uint8Array) => tlv(0x04, bytes);

export function derSmallInteger(n: number): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > 127) throw new Error("derSmallInteger takes 0…127");
  return tlv(0x02, Buffer.from([n]));
}

/** A non-negative INTEGER from its big-endian magnitude (a serial number, an iteration count's bytes). */
export function derUnsignedInteger(magnitude: Uint8Array): Buffer {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  const bytes = magnitude.subarray(i);
  return bytes.length === 0 || bytes[0]! & 0x80 ? tlv(0x02, Buffer.from([0]), bytes) : tlv(0x02, bytes);
}

export const derBoolean = (value: boolean) => Buffer.from([0x01, 0x01, value ? 0xff : 0x00]);
/** A BIT STRING: the bytes, and how many bits of the last one are unused. */
export const derBitString = (bytes: Uint8Array, unusedBits = 0) => tlv(0x03, Buffer.from([unusedBits]), bytes);
export const derUtf8String = (text: string) => tlv(0x0c, Buffer.from(text, "utf8"));
/** PrintableString when the text allows it (as most certificate tools write names), else UTF8String. */
export const derDirectoryString = (text: string) => (/^[A-Za-z0-9 '()+,\-./:=?]*$/.test(text) ? tlv(0x13, Buffer.from(text, "ascii")) : derUtf8String(text));
/** BMPString: UTF-16 big-endian, as PKCS#12 writes friendly names. */
export const derBmpString = (text: string) => tlv(0x1e, Buffer.from(text, "utf16le").swap16());

export function derOid(dotted: string): Buffer {
  const arcs = dotted.split(".").map(Number);
  const [a, b, ...rest] = arcs;
  if (a === undefined || b === undefined) throw new Error(`bad OID ${dotted}`);
  const out: number[] = [a * 40 + b];
  for (const arc of rest) {
    const chunk: number[] = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

const pad2 = (n: number) => String(n).padStart(2, "0");
const timeOfDay = (d: Date) => `${pad2(d.getUTCMonth() + 1)}${pad2(d.getUTCDate())}${pad2(d.getUTCHours())}${pad2(d.getUTCMinutes())}${pad2(d.getUTCSeconds())}Z`;

/** UTCTime (years 1950–2049), as CMS signingTime uses it. */
export function derUtcTime(d: Date): Buffer {
  return tlv(0x17, Buffer.from(`${pad2(d.getUTCFullYear() % 100)}${timeOfDay(d)}`, "ascii"));
}

/** A certificate's Time (RFC 5280 §4.1.2.5): UTCTime through 2049, GeneralizedTime from 2050. */
export function derTime(d: Date): Buffer {
  const year = d.getUTCFullYear();
  if (year >= 1950 && year < 2050) return derUtcTime(d);
  return tlv(0x18, Buffer.from(`${String(year).padStart(4, "0")}${timeOfDay(d)}`, "ascii"));
}

/** DER orders the members of a SET OF by their encodings. */
export function sortSetMembers(members: Buffer[]): Buffer[] {
  return [...members].sort((a, b) => Buffer.compare(a, b));
}

/** Named curves by JWK name → OID. */
const CURVE_OIDS: Record<string, string> = { "P-256": "1.2.840.10045.3.1.7", "P-384": "1.3.132.0.34", "P-521": "1.3.132.0.35" };

/**
 * A key's subjectPublicKeyInfo (RFC 5280 §4.1.2.7; RSA per RFC 3279, EC per RFC 5480, uncompressed point),
 * the same bytes OpenSSL exports, built from the key's JWK: ~0.01 ms where OpenSSL's SPKI export of an EC
 * key costs ~0.1 ms. Takes a public or a private key; other than RSA or EC on P-256/384/521, OpenSSL exports it.
 */
export function derSubjectPublicKeyInfo(key: KeyObject): Buffer {
  const type = key.asymmetricKeyType;
  const jwk = type === "rsa" || type === "ec" ? key.export({ format: "jwk" }) : undefined;
  const bytes = (field: string | undefined) => Buffer.from(field ?? "", "base64url");
  if (jwk?.kty === "RSA") {
    return derSequence(derSequence(derOid("1.2.840.113549.1.1.1"), derNull()), tlv(0x03, Buffer.from([0]), derSequence(derUnsignedInteger(bytes(jwk.n)), derUnsignedInteger(bytes(jwk.e)))));
  }
  const curve = jwk?.kty === "EC" && jwk.crv ? CURVE_OIDS[jwk.crv] : undefined;
  if (!jwk || !curve) return (key.type === "private" ? createPublicKey(key) : key).export({ format: "der", type: "spki" });
  return derSequence(derSequence(derOid("1.2.840.10045.2.1"), derOid(curve)), tlv(0x03, Buffer.from([0, 4]), bytes(jwk.x), bytes(jwk.y)));
}

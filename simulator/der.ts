// Just enough DER to build a CMS signature and to slice fields out of a certificate, exactly as encoded.

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

/** The children of a constructed node. */
export function derChildren(buf: Uint8Array, node: DerNode): DerNode[] {
  const out: DerNode[] = [];
  for (let p = node.contentStart; p < node.end; ) {
    const child = readDer(buf, p);
    out.push(child);
    p = child.end;
  }
  return out;
}

export const derBytes = (buf: Uint8Array, node: DerNode) => Buffer.from(buf.subarray(node.start, node.end));
export const derContent = (buf: Uint8Array, node: DerNode) => Buffer.from(buf.subarray(node.contentStart, node.end));

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

/** UTCTime (years 1950–2049), as CMS signingTime uses it. */
export function derUtcTime(d: Date): Buffer {
  const pad = (n: number) => String(n).padStart(2, "0");
  const text = `${pad(d.getUTCFullYear() % 100)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z`;
  return tlv(0x17, Buffer.from(text, "ascii"));
}

/** DER orders the members of a SET OF by their encodings. */
export function sortSetMembers(members: Buffer[]): Buffer[] {
  return [...members].sort((a, b) => Buffer.compare(a, b));
}

// The thread that checks Macs' ECDSA signatures (ec-verifier.ts): it builds each signer's key from its point and
// verifies the signature over the signed attributes, so neither the key's build (~0.06 ms of OpenSSL, the
// largest single cost of a check-in on PUT /mdm's event loop) nor the key's life and death touch that loop.
// Plain JavaScript, so that it loads the same under tsx, Vitest and Node alone. The record layout is pack()'s
// in ec-verifier.ts; the key's build is ecPublicKey's, which the synchronous path uses too.
import { createPublicKey, verify } from "node:crypto";
import { parentPort, workerData } from "node:worker_threads";

/** Digest algorithms by their code in a record. */
export const DIGEST_CODES = ["sha256", "sha384", "sha512", "sha1"];
/** Named curves by their code in a record: JWK name and coordinate size. */
export const CURVE_CODES = [
  { crv: "P-256", size: 32 },
  { crv: "P-384", size: 48 },
  { crv: "P-521", size: 66 },
];
/** A record's outcome. */
export const INVALID = 0;
export const VALID = 1;
/** The point is not on its curve: no key can be built from it. */
export const UNREADABLE_KEY = 2;

/**
 * An EC public key from its curve's JWK name and its uncompressed point (0x04 ‖ x ‖ y), as a JWK: the cheapest
 * way node:crypto builds one (OpenSSL's SPKI decoder costs about twice as much). OpenSSL refuses a point that
 * is not on the curve (it throws).
 * @param {string} crv
 * @param {Buffer} point
 */
export function ecPublicKey(crv, point) {
  const size = (point.length - 1) / 2;
  return createPublicKey({ key: { kty: "EC", crv, x: point.subarray(1, 1 + size).toString("base64url"), y: point.subarray(1 + size).toString("base64url") }, format: "jwk" });
}

/**
 * Keys of the last few points seen: a Mac's requests within a session (an Idle, then the answer to the command
 * it was handed) come one after another. A ring, as device-auth.ts's, so that a key dies young.
 */
const KEPT = 64;
const keptKeys = new Array(KEPT).fill(undefined);
const keptNames = new Array(KEPT).fill("");
const keptIndex = new Map();
let nextSlot = 0;

/** @param {number} curve @param {Buffer} point */
function keyOf(curve, point) {
  const name = point.toString("latin1");
  const at = keptIndex.get(name);
  if (at !== undefined) return /** @type {import("node:crypto").KeyObject} */ (keptKeys[at]);
  const key = ecPublicKey(/** @type {{ crv: string }} */ (CURVE_CODES[curve]).crv, point);
  if (keptNames[nextSlot] !== "") keptIndex.delete(keptNames[nextSlot]);
  keptKeys[nextSlot] = key;
  keptNames[nextSlot] = name;
  keptIndex.set(name, nextSlot);
  nextSlot = (nextSlot + 1) % KEPT;
  return key;
}

/**
 * Checks a batch: a u32 count, then per record a u8 digest code, a u8 curve code, the point, a u16 length and
 * the signed data, a u16 length and the signature. Answers one outcome byte per record, in order.
 * @param {Uint8Array} batch
 */
export function checkBatch(batch) {
  const bytes = Buffer.from(batch.buffer, batch.byteOffset, batch.byteLength);
  const count = bytes.readUInt32LE(0);
  const out = new Uint8Array(count);
  let at = 4;
  for (let i = 0; i < count; i++) {
    const digest = /** @type {string} */ (DIGEST_CODES[/** @type {number} */ (bytes[at])]);
    const curve = /** @type {number} */ (bytes[at + 1]);
    const pointLength = 1 + 2 * /** @type {{ size: number }} */ (CURVE_CODES[curve]).size;
    const point = bytes.subarray(at + 2, at + 2 + pointLength);
    at += 2 + pointLength;
    const dataLength = bytes.readUInt16LE(at);
    const data = bytes.subarray(at + 2, at + 2 + dataLength);
    at += 2 + dataLength;
    const signatureLength = bytes.readUInt16LE(at);
    const signature = bytes.subarray(at + 2, at + 2 + signatureLength);
    at += 2 + signatureLength;
    let key;
    try {
      key = keyOf(curve, point);
    } catch {
      out[i] = UNREADABLE_KEY;
      continue;
    }
    try {
      out[i] = verify(digest, data, key, signature) ? VALID : INVALID;
    } catch {
      out[i] = INVALID;
    }
  }
  return out;
}

// Only as the verifier's thread (the module is imported by the main thread for its helpers, and Vitest runs
// tests in worker threads of its own).
if (parentPort && workerData === "pomona-ec-verifier") {
  const port = parentPort;
  port.on("message", (/** @type {Uint8Array} */ batch) => {
    const out = checkBatch(batch);
    port.postMessage(out, [out.buffer]);
  });
}

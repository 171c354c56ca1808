// Admin password hashing: scrypt at OWASP's strength (N = 2^17, r = 8, p = 1), not better-auth's default
// (N = 2^14, r = 16), which is under that bar. Runs on libuv's threadpool, so a sign-in does not block
// PUT /mdm. Parameters are stored with each hash, so raising them later still verifies old passwords.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";

export const SCRYPT_PARAMS = { N: 2 ** 17, r: 8, p: 1 } as const;
const KEY_LENGTH = 64;
/** N = 2^17, r = 8 needs 128 MiB; Node's 32 MiB default refuses it (ERR_CRYPTO_INVALID_SCRYPT_PARAMS). */
const maxmemFor = (N: number, r: number) => 128 * N * r + 16 * 1024 * 1024;

/** Longer than any passphrase a person types; keeps one request from costing more than one hash. */
export const MAX_PASSWORD_LENGTH = 256;
export const MIN_PASSWORD_LENGTH = 12;

function derive(password: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: maxmemFor(params.N, params.r) };
  return new Promise((resolve, reject) => scrypt(password.normalize("NFKC"), salt, KEY_LENGTH, options, (err, key) => (err ? reject(err) : resolve(key))));
}

/** `scrypt$<log2 N>$<r>$<p>$<salt b64url>$<key b64url>` */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, SCRYPT_PARAMS);
  return ["scrypt", Math.log2(SCRYPT_PARAMS.N), SCRYPT_PARAMS.r, SCRYPT_PARAMS.p, salt.toString("base64url"), key.toString("base64url")].join("$");
}

/** Constant-time check; a malformed stored hash verifies nothing. */
export async function verifyPassword(input: { hash: string; password: string }): Promise<boolean> {
  const [scheme, logN, r, p, salt, key] = input.hash.split("$").map((part, i) => (i >= 1 && i <= 3 ? Number(part) : part)) as [string, number, number, number, string, string];
  if (scheme !== "scrypt" || key === undefined || input.password.length > MAX_PASSWORD_LENGTH) return false;
  if (![logN, r, p].every((n) => Number.isInteger(n) && n > 0) || logN > 20 || r > 32 || p > 4) return false;
  const expected = Buffer.from(key, "base64url");
  const actual = await derive(input.password, Buffer.from(salt, "base64url"), { N: 2 ** logN, r, p });
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** A generated password for new accounts and resets: 20 characters from a 56-letter alphabet (~116 bits). */
export function generatePassword(): string {
  const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";
  const bytes = randomBytes(40);
  let out = "";
  for (const b of bytes) {
    if (b >= 224) continue; // 224 = 4 × 56: rejection keeps every letter equally likely
    out += alphabet[b % 56];
    if (out.length === 20) return out;
  }
  return out + generatePassword().slice(0, 20 - out.length);
}

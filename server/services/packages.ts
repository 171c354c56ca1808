// Packages Pomona hosts itself: deterministic placeholders for catalog versions without a package URL,
// so the whole download path (manifest, hashes, GET) can be exercised without real vendor packages.
import { createCipheriv, createHash } from "node:crypto";

/** Manifest chunk size for hosted packages: several chunks per placeholder, so chunk hashing is exercised. */
export const HOSTED_CHUNK_BYTES = 64 * 1024;

export type PackageDigest = { sizeBytes: number; sha256: string; chunkSizeBytes: number; chunkSha256s: string[] };

const sha256 = (data: Buffer | string) => createHash("sha256").update(data).digest();

/** The placeholder package for a catalog version: the same bytes every time, 96–256 KiB. */
export function buildPlaceholderPackage(bundleId: string, version: string): Buffer {
  const seed = sha256(`pomona-placeholder:${bundleId}:${version}`);
  const size = 96 * 1024 + (seed.readUInt32BE(0) % (160 * 1024));
  const header = Buffer.from(`xar!\nPomona placeholder package\nbundle-identifier: ${bundleId}\nbundle-version: ${version}\n`);
  // An AES-CTR keystream keyed by the seed: deterministic, incompressible, and fast to produce.
  const keystream = createCipheriv("aes-256-ctr", seed, Buffer.alloc(16)).update(Buffer.alloc(size - header.length));
  return Buffer.concat([header, keystream]);
}

/** Size, whole-file SHA-256 and per-chunk SHA-256s (count = ceil(size / chunk)), as a manifest needs them. */
export function digestPackage(bytes: Buffer, chunkSizeBytes = HOSTED_CHUNK_BYTES): PackageDigest {
  const chunkSha256s: string[] = [];
  for (let offset = 0; offset < bytes.length; offset += chunkSizeBytes) {
    chunkSha256s.push(sha256(bytes.subarray(offset, offset + chunkSizeBytes)).toString("hex"));
  }
  return { sizeBytes: bytes.length, sha256: sha256(bytes).toString("hex"), chunkSizeBytes, chunkSha256s };
}

// The ManifestURL manifest (mdm-protocol.md §6.1) and the validation every install passes before it is
// queued (DESIGN §3.4 item 8): a malformed manifest can stop a Mac installing anything until it reboots.

export type ManifestAsset = { kind: "software-package"; url: string; "sha256-size": number; sha256s: string[] };
export type ManifestMetadata = { "bundle-identifier": string; "bundle-version": string; kind: "software"; title: string; subtitle?: string };
export type Manifest = { items: { assets: ManifestAsset[]; metadata: ManifestMetadata }[] };

export type ManifestInput = {
  packageUrl: string;
  sizeBytes: number;
  chunkSizeBytes: number;
  chunkSha256s: readonly string[];
  bundleId: string;
  version: string;
  title: string;
  publisher?: string;
};

/** One item, one software-package asset with per-chunk SHA-256s (preferred over MD5 by macOS). */
export function buildManifest(input: ManifestInput): Manifest {
  const metadata: ManifestMetadata = { "bundle-identifier": input.bundleId, "bundle-version": input.version, kind: "software", title: input.title };
  if (input.publisher) metadata.subtitle = input.publisher;
  return {
    items: [{ assets: [{ kind: "software-package", url: input.packageUrl, "sha256-size": input.chunkSizeBytes, sha256s: [...input.chunkSha256s] }], metadata }],
  };
}

export type ManifestCheck = { ok: true } | { ok: false; reason: string };

/**
 * Checks a manifest against the package it describes. Plain http is allowed only when Pomona itself is
 * reached over http (the virtual fleet on localhost); real Macs need https.
 */
export function validateManifest(manifest: Manifest, context: { sizeBytes: number; allowHttp: boolean }): ManifestCheck {
  const item = manifest.items[0];
  if (manifest.items.length !== 1 || !item) return { ok: false, reason: "Invalid manifest: it must hold exactly one item" };
  const asset = item.assets.find((a) => a.kind === "software-package");
  if (!asset) return { ok: false, reason: "Invalid manifest: no software-package asset" };

  let url: URL;
  try {
    url = new URL(asset.url);
  } catch {
    return { ok: false, reason: `Invalid manifest: package URL ${JSON.stringify(asset.url)} is not a URL` };
  }
  if (url.protocol !== "https:" && !(context.allowHttp && url.protocol === "http:")) {
    return { ok: false, reason: `Invalid manifest: package URL must use https (got ${url.protocol.replace(":", "")})` };
  }

  const chunk = asset["sha256-size"];
  if (!Number.isInteger(chunk) || chunk <= 0) return { ok: false, reason: "Invalid manifest: sha256-size must be a positive integer" };
  if (!Number.isInteger(context.sizeBytes) || context.sizeBytes <= 0) return { ok: false, reason: "Invalid manifest: the package size is unknown" };
  const expected = Math.ceil(context.sizeBytes / chunk);
  if (asset.sha256s.length !== expected) {
    return { ok: false, reason: `Invalid manifest: ${asset.sha256s.length} SHA-256 hashes for ${expected} chunks of ${chunk} bytes (package is ${context.sizeBytes} bytes)` };
  }
  const bad = asset.sha256s.find((h) => !/^[0-9a-f]{64}$/i.test(h));
  if (bad !== undefined) return { ok: false, reason: `Invalid manifest: ${JSON.stringify(bad)} is not a SHA-256 hash` };

  const meta = item.metadata;
  if (meta["bundle-identifier"].trim().length < 2) return { ok: false, reason: "Invalid manifest: missing bundle identifier" };
  if (meta["bundle-version"].trim().length === 0) return { ok: false, reason: "Invalid manifest: missing bundle version" };
  if (meta.title.trim().length < 2) return { ok: false, reason: "Invalid manifest: missing title" };
  return { ok: true };
}

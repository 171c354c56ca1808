// Manifests for catalog versions (DESIGN §3.4 items 4 and 8): built from the version's package facts,
// served at a stable URL, and validated before any install that points at them is queued.
import { eq } from "drizzle-orm";

import { buildManifest, validateManifest, type Manifest, type ManifestCheck } from "@/server/engine/manifest";
import type { Deps } from "@/server/deps";
import { catalogTitles, catalogVersions } from "@/db/schema";

export function manifestPath(versionId: number) {
  return `/mdm/manifests/${versionId}.plist`;
}

export function hostedPackagePath(versionId: number) {
  return `/mdm/packages/${versionId}.pkg`;
}

export type VersionManifest = { versionId: number; manifestUrl: string; manifest: Manifest; check: ManifestCheck };

/** The manifest of one catalog version and its validation result, or undefined for an unknown version. */
export function getVersionManifest(deps: Pick<Deps, "db" | "publicUrl">, versionId: number): VersionManifest | undefined {
  const row = deps.db
    .select({ version: catalogVersions, title: catalogTitles })
    .from(catalogVersions)
    .innerJoin(catalogTitles, eq(catalogTitles.id, catalogVersions.titleId))
    .where(eq(catalogVersions.id, versionId))
    .get();
  if (!row) return undefined;
  const { version, title } = row;
  const manifest = buildManifest({
    packageUrl: version.packageUrl ?? `${deps.publicUrl}${hostedPackagePath(version.id)}`,
    sizeBytes: version.sizeBytes,
    chunkSizeBytes: version.chunkSizeBytes,
    chunkSha256s: version.chunkSha256s,
    bundleId: title.bundleId,
    version: version.shortVersion ?? version.version,
    title: title.name,
    publisher: title.publisher,
  });
  const check = validateManifest(manifest, { sizeBytes: version.sizeBytes, allowHttp: deps.publicUrl.startsWith("http:") });
  return { versionId, manifestUrl: `${deps.publicUrl}${manifestPath(version.id)}`, manifest, check };
}

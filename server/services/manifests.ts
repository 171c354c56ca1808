// Manifests for catalog versions (DESIGN §3.4 items 4 and 8): built from the version's package facts,
// served at a stable URL, and validated before any install that points at them is queued.
import { eq } from "drizzle-orm";

import { buildManifest, validateManifest, type Manifest, type ManifestCheck } from "@/server/engine/manifest";
import type { Deps } from "@/server/deps";
import { catalogTitles, catalogVersions, type CatalogTitle, type CatalogVersion } from "@/db/schema";

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
  return row ? versionManifest(deps, row.version, row.title) : undefined;
}

const built = new WeakMap<object, Map<string, VersionManifest>>();

/**
 * The same from rows the caller already holds. Remembered per database while the version and its title are
 * unchanged (their updatedAt), since every slice of every engine pass asks for the manifests it installs.
 */
export function versionManifest(deps: Pick<Deps, "db" | "publicUrl">, version: CatalogVersion, title: Pick<CatalogTitle, "bundleId" | "name" | "publisher" | "updatedAt">): VersionManifest {
  let cache = built.get(deps.db);
  if (!cache) built.set(deps.db, (cache = new Map<string, VersionManifest>()));
  const key = `${version.id}:${version.updatedAt.getTime()}:${title.updatedAt.getTime()}:${deps.publicUrl}`;
  let result = cache.get(key);
  if (!result) {
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
    result = { versionId: version.id, manifestUrl: `${deps.publicUrl}${manifestPath(version.id)}`, manifest, check };
    if (cache.size > 10_000) cache.clear();
    cache.set(key, result);
  }
  return result;
}

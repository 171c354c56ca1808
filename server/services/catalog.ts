// The app catalog: loading a feed (DESIGN §4.2 format), syncing it into the database, and reading it back.
import fs from "node:fs/promises";

import { asc, eq } from "drizzle-orm";
import { z } from "zod";

import type { Principal } from "@/server/auth/actor";
import { compareVersions, isVersionLike } from "@/server/engine/versions";
import type { Deps } from "@/server/deps";
import { AppError } from "@/server/errors";
import { recordAdminAction } from "@/server/services/audit";
import { requestFullPass } from "@/server/services/engine-state";
import { buildPlaceholderPackage, digestPackage, type PackageDigest } from "@/server/services/packages";
import bundledFeed from "@/db/catalog/feed.json";
import { ARCHITECTURES, catalogProfiles, catalogTitles, catalogVersions, events, type CatalogVersion } from "@/db/schema";

/** Feeds larger than this are refused before parsing. */
export const MAX_FEED_BYTES = 20 * 1024 * 1024;
const FEED_FETCH_TIMEOUT_MS = 30_000;

const ZOsVersion = z.string().regex(/^\d+(\.\d+){0,2}$/, "must look like 14.0 or 10.15.7");

const ZFeedVersion = z
  .object({
    version: z.string().trim().min(1).refine(isVersionLike, "must start with a number, like 4.2.1"),
    shortVersion: z.string().trim().min(1).optional(),
    minimumOsVersion: ZOsVersion,
    architectures: z
      .array(z.enum(ARCHITECTURES, { message: "must be 'arm64' or 'x86_64'" }))
      .min(1, "must list at least one architecture")
      .refine((a) => new Set(a).size === a.length, "must not repeat an architecture"),
    packageUrl: z.url({ protocol: /^https?$/, message: "must be an http(s) URL" }).optional(),
    sizeBytes: z.number().int().positive().optional(),
    sha256: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, "must be 64 hex digits")
      .optional(),
    releasedAt: z.iso.date("must be a date like 2024-11-19").optional(),
  })
  .refine((v) => v.packageUrl === undefined || (v.sizeBytes !== undefined && v.sha256 !== undefined), {
    message: "a version with a packageUrl needs sizeBytes and sha256",
    path: ["packageUrl"],
  });

const ZFeedProfile = z.object({
  identifier: z.string().trim().min(1),
  displayName: z.string().trim().min(1),
  mobileconfig: z
    .string()
    .refine((s) => /^\s*(<\?xml[^>]*>\s*)?(<!DOCTYPE[^>]*>\s*)?<plist[\s>]/.test(s) && /<\/plist>\s*$/.test(s), "must be the XML text of a .mobileconfig")
    .refine((s) => s.includes("<key>PayloadContent</key>") && s.includes("<key>PayloadIdentifier</key>"), "must have PayloadContent and PayloadIdentifier"),
});

const ZFeedTitle = z
  .object({
    name: z.string().trim().min(1),
    bundleId: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9][A-Za-z0-9.-]*$/, "must be a bundle identifier like com.example.app"),
    publisher: z.string().trim().min(1),
    category: z.string().trim().min(1),
    versions: z.array(ZFeedVersion).min(1, "must list at least one version"),
    supportingProfiles: z.array(ZFeedProfile).optional(),
  })
  .superRefine((title, ctx) => {
    const seen = new Set<string>();
    title.versions.forEach((v, i) => {
      if (seen.has(v.version)) ctx.addIssue({ code: "custom", message: `version ${v.version} is listed twice`, path: ["versions", i, "version"] });
      seen.add(v.version);
    });
    const ids = new Set<string>();
    title.supportingProfiles?.forEach((p, i) => {
      if (ids.has(p.identifier)) ctx.addIssue({ code: "custom", message: `profile ${p.identifier} is listed twice`, path: ["supportingProfiles", i, "identifier"] });
      ids.add(p.identifier);
    });
  });

export const ZFeed = z
  .object({ titles: z.array(ZFeedTitle).min(1, "must list at least one title") })
  .superRefine((feed, ctx) => {
    const seen = new Set<string>();
    feed.titles.forEach((t, i) => {
      if (seen.has(t.bundleId)) ctx.addIssue({ code: "custom", message: `bundle id ${t.bundleId} is listed twice`, path: ["titles", i, "bundleId"] });
      seen.add(t.bundleId);
    });
  });
export type Feed = z.infer<typeof ZFeed>;
export type FeedTitle = Feed["titles"][number];

/** Describes a zod failure as one readable line per problem, with the path into the feed. */
function describeIssues(error: z.ZodError, limit = 10): string {
  const lines = error.issues.slice(0, limit).map((i) => {
    const where = i.path.reduce<string>((acc, p) => (typeof p === "number" ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), "");
    return `${where || "(feed)"}: ${i.message}`;
  });
  if (error.issues.length > limit) lines.push(`…and ${error.issues.length - limit} more`);
  return lines.join("; ");
}

/** Validates a parsed feed, throwing one BAD_REQUEST AppError that lists the problems. */
export function parseFeed(data: unknown, source: string): Feed {
  const result = ZFeed.safeParse(data);
  if (!result.success) throw new AppError("BAD_REQUEST", `Catalog feed ${source} is invalid: ${describeIssues(result.error)}`);
  return result.data;
}

/** Where the feed comes from: an explicit source, else POMONA_CATALOG_FEED, else the bundled feed. */
export function feedSource(deps: Pick<Deps, "env">, explicit?: string): string {
  return explicit ?? deps.env.POMONA_CATALOG_FEED ?? "bundled";
}

/** Reads and validates a feed from a file path, an http(s) URL, or "bundled". */
export async function loadFeed(source: string): Promise<Feed> {
  if (source === "bundled") return parseFeed(bundledFeed, "bundled");
  let text: string;
  try {
    text = /^https?:\/\//i.test(source) ? await fetchFeedText(source) : await readFeedFile(source);
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw new AppError("BAD_REQUEST", `Catalog feed ${source} could not be read: ${(e as Error).message}`, { cause: e });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new AppError("BAD_REQUEST", `Catalog feed ${source} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  return parseFeed(data, source);
}

async function readFeedFile(path: string) {
  const stat = await fs.stat(path);
  if (stat.size > MAX_FEED_BYTES) throw new AppError("BAD_REQUEST", `Catalog feed ${path} is larger than ${MAX_FEED_BYTES} bytes`);
  return fs.readFile(path, "utf8");
}

async function fetchFeedText(url: string) {
  const res = await fetch(url, { signal: AbortSignal.timeout(FEED_FETCH_TIMEOUT_MS), headers: { accept: "application/json" } });
  if (!res.ok) throw new AppError("BAD_REQUEST", `Catalog feed ${url} answered HTTP ${res.status}`);
  const text = await res.text();
  if (text.length > MAX_FEED_BYTES) throw new AppError("BAD_REQUEST", `Catalog feed ${url} is larger than ${MAX_FEED_BYTES} bytes`);
  return text;
}

export type VersionRef = { bundleId: string; title: string; version: string };
export type SyncReport = {
  source: string;
  titles: number;
  titlesAdded: string[];
  titlesUpdated: string[];
  versionsAdded: VersionRef[];
  versionsUpdated: VersionRef[];
  profilesAdded: number;
  profilesUpdated: number;
  changed: boolean;
};

/** The package facts of a feed version: given by the feed, or computed from Pomona's placeholder. */
function packageOf(bundleId: string, v: FeedTitle["versions"][number]): PackageDigest & { packageUrl: string | null } {
  if (v.packageUrl && v.sizeBytes !== undefined && v.sha256 !== undefined) {
    // One hash over the whole file: the simplest valid manifest form (chunk size = file size).
    const sha = v.sha256.toLowerCase();
    return { packageUrl: v.packageUrl, sizeBytes: v.sizeBytes, sha256: sha, chunkSizeBytes: v.sizeBytes, chunkSha256s: [sha] };
  }
  return { packageUrl: null, ...digestPackage(buildPlaceholderPackage(bundleId, v.version)) };
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Loads the feed and upserts titles, versions and supporting profiles in one transaction; versions no
 * longer in the feed are kept (a Manual deployment may pin them). Reports what changed.
 */
export async function syncCatalog(deps: Pick<Deps, "db" | "clock" | "env">, options: { source?: string; by?: Principal } = {}): Promise<SyncReport> {
  const source = feedSource(deps, options.source);
  const feed = await loadFeed(source);
  const now = deps.clock.now();
  const report: SyncReport = { source, titles: feed.titles.length, titlesAdded: [], titlesUpdated: [], versionsAdded: [], versionsUpdated: [], profilesAdded: 0, profilesUpdated: 0, changed: false };

  deps.db.transaction(
    (tx) => {
      const titleByBundle = new Map(tx.select().from(catalogTitles).all().map((t) => [t.bundleId, t]));
      const versionsByTitle = groupBy(tx.select().from(catalogVersions).all(), (v) => v.titleId);
      const profilesByTitle = groupBy(tx.select().from(catalogProfiles).all(), (p) => p.titleId);

      for (const ft of feed.titles) {
        let title = titleByBundle.get(ft.bundleId);
        const facts = { name: ft.name, publisher: ft.publisher, category: ft.category };
        if (!title) {
          title = tx.insert(catalogTitles).values({ ...facts, bundleId: ft.bundleId, createdAt: now, updatedAt: now }).returning().get();
          report.titlesAdded.push(ft.name);
        } else if (title.name !== facts.name || title.publisher !== facts.publisher || title.category !== facts.category) {
          tx.update(catalogTitles).set({ ...facts, updatedAt: now }).where(eq(catalogTitles.id, title.id)).run();
          report.titlesUpdated.push(ft.name);
        }

        const existingVersions = new Map((versionsByTitle.get(title.id) ?? []).map((v) => [v.version, v]));
        for (const fv of ft.versions) {
          const pkg = packageOf(ft.bundleId, fv);
          const values = {
            shortVersion: fv.shortVersion ?? null,
            minimumOsVersion: fv.minimumOsVersion,
            architectures: [...fv.architectures].sort(),
            releasedAt: fv.releasedAt ? new Date(`${fv.releasedAt}T00:00:00Z`) : null,
            ...pkg,
          };
          const ref = { bundleId: ft.bundleId, title: ft.name, version: fv.version };
          const existing = existingVersions.get(fv.version);
          if (!existing) {
            tx.insert(catalogVersions).values({ ...values, titleId: title.id, version: fv.version, createdAt: now, updatedAt: now }).run();
            report.versionsAdded.push(ref);
          } else if (versionChanged(existing, values)) {
            tx.update(catalogVersions).set({ ...values, updatedAt: now }).where(eq(catalogVersions.id, existing.id)).run();
            report.versionsUpdated.push(ref);
          }
        }

        const existingProfiles = new Map((profilesByTitle.get(title.id) ?? []).map((p) => [p.identifier, p]));
        for (const fp of ft.supportingProfiles ?? []) {
          const existing = existingProfiles.get(fp.identifier);
          if (!existing) {
            tx.insert(catalogProfiles).values({ ...fp, titleId: title.id, createdAt: now, updatedAt: now }).run();
            report.profilesAdded++;
          } else if (existing.displayName !== fp.displayName || existing.mobileconfig !== fp.mobileconfig) {
            tx.update(catalogProfiles).set({ displayName: fp.displayName, mobileconfig: fp.mobileconfig, updatedAt: now }).where(eq(catalogProfiles.id, existing.id)).run();
            report.profilesUpdated++;
          }
        }
      }

      report.changed = report.titlesAdded.length + report.titlesUpdated.length + report.versionsAdded.length + report.versionsUpdated.length + report.profilesAdded + report.profilesUpdated > 0;
      // New versions (Automatic updates), manifests and profiles reach targets of every deployment of a title.
      if (report.changed) requestFullPass(deps.db);
      const summary = `Catalog synced from ${source}: ${report.titlesAdded.length} titles added, ${report.versionsAdded.length} versions added, ${report.versionsUpdated.length + report.titlesUpdated.length} updated`;
      const changes = { titlesAdded: report.titlesAdded, versionsAdded: report.versionsAdded, titlesUpdated: report.titlesUpdated, versionsUpdated: report.versionsUpdated };
      if (options.by) {
        recordAdminAction(tx, now, options.by, { action: "catalog.synced", target: { type: "catalog", name: source }, summary, changes });
      } else if (report.changed) {
        tx.insert(events).values({ at: now, category: "system", type: "catalog.synced", actor: "system", message: summary, data: changes }).run();
      }
    },
    { behavior: "immediate" },
  );
  return report;
}

function versionChanged(existing: CatalogVersion, next: Omit<CatalogVersion, "id" | "titleId" | "version" | "createdAt" | "updatedAt">) {
  return (Object.keys(next) as (keyof typeof next)[]).some((k) => !sameJson(existing[k], next[k]));
}

function groupBy<T, K>(items: T[], key: (item: T) => K): Map<K, T[]> {
  const map = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = map.get(k);
    if (list) list.push(item);
    else map.set(k, [item]);
  }
  return map;
}

export type CatalogVersionSummary = {
  id: number;
  version: string;
  shortVersion: string | null;
  minimumOsVersion: string;
  architectures: string[];
  sizeBytes: number;
  hosted: boolean;
  releasedAt: Date | null;
};

function summarizeVersion(v: CatalogVersion): CatalogVersionSummary {
  return {
    id: v.id,
    version: v.version,
    shortVersion: v.shortVersion,
    minimumOsVersion: v.minimumOsVersion,
    architectures: v.architectures,
    sizeBytes: v.sizeBytes,
    hosted: v.packageUrl === null,
    releasedAt: v.releasedAt,
  };
}

const newestFirst = (a: CatalogVersion, b: CatalogVersion) => compareVersions(b.version, a.version);

/** Every title with its versions, newest first (DESIGN §4.2 `catalog.list`). Two queries, no N+1. */
export function listCatalog(deps: Pick<Deps, "db">) {
  const titles = deps.db.select().from(catalogTitles).orderBy(asc(catalogTitles.name)).all();
  const versions = groupBy(deps.db.select().from(catalogVersions).all(), (v) => v.titleId);
  const profileCounts = new Map<number, number>();
  for (const p of deps.db.select({ titleId: catalogProfiles.titleId }).from(catalogProfiles).all()) profileCounts.set(p.titleId, (profileCounts.get(p.titleId) ?? 0) + 1);
  return titles.map((t) => ({
    id: t.id,
    name: t.name,
    bundleId: t.bundleId,
    publisher: t.publisher,
    category: t.category,
    supportingProfileCount: profileCounts.get(t.id) ?? 0,
    versions: (versions.get(t.id) ?? []).sort(newestFirst).map(summarizeVersion),
  }));
}

/** One title with its versions and supporting profiles. */
export function getCatalogTitle(deps: Pick<Deps, "db">, id: number) {
  const title = deps.db.select().from(catalogTitles).where(eq(catalogTitles.id, id)).get();
  if (!title) throw new AppError("NOT_FOUND", `No catalog title with id ${id}`);
  const versions = deps.db.select().from(catalogVersions).where(eq(catalogVersions.titleId, id)).all().sort(newestFirst);
  const profiles = deps.db.select().from(catalogProfiles).where(eq(catalogProfiles.titleId, id)).orderBy(asc(catalogProfiles.identifier)).all();
  return {
    id: title.id,
    name: title.name,
    bundleId: title.bundleId,
    publisher: title.publisher,
    category: title.category,
    versions: versions.map(summarizeVersion),
    supportingProfiles: profiles.map((p) => ({ id: p.id, identifier: p.identifier, displayName: p.displayName, mobileconfig: p.mobileconfig })),
  };
}

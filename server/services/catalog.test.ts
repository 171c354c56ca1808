import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";

import { count } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { actingAs, createTestDeps } from "@/server/testing";
import bundledFeed from "@/db/catalog/feed.json";
import { auditLog, catalogProfiles, catalogTitles, catalogVersions, events } from "@/db/schema";

import { getCatalogTitle, listCatalog, parseFeed, syncCatalog, type Feed } from "./catalog";
import { buildPlaceholderPackage, digestPackage } from "./packages";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pomona-feed-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function writeFeed(name: string, feed: unknown) {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, typeof feed === "string" ? feed : JSON.stringify(feed));
  return file;
}

const smallFeed = (): Feed => ({
  titles: [
    {
      name: "Editor",
      bundleId: "com.example.editor",
      publisher: "Example Inc.",
      category: "Productivity",
      versions: [
        { version: "4.2.1", minimumOsVersion: "13.0", architectures: ["arm64", "x86_64"] },
        { version: "4.1.0", minimumOsVersion: "12.0", architectures: ["x86_64"] },
      ],
    },
  ],
});

function counts(deps: ReturnType<typeof createTestDeps>) {
  const n = (t: typeof catalogTitles | typeof catalogVersions | typeof catalogProfiles | typeof events) => deps.db.select({ n: count() }).from(t).get()?.n;
  return { titles: n(catalogTitles), versions: n(catalogVersions), profiles: n(catalogProfiles), events: n(events) };
}

describe("catalog sync", () => {
  it("loads the bundled feed: 30+ real titles with versions and supporting profiles", async () => {
    const deps = createTestDeps();
    const report = await syncCatalog(deps);
    expect(report.source).toBe("bundled");
    expect(report.titles).toBeGreaterThanOrEqual(30);
    expect(report.titlesAdded).toContain("Google Chrome");
    expect(report.changed).toBe(true);

    const list = listCatalog(deps);
    expect(list.length).toBe(bundledFeed.titles.length);
    const chrome = list.find((t) => t.bundleId === "com.google.Chrome");
    expect(chrome?.publisher).toBe("Google LLC");
    expect(chrome?.versions[0]?.version).toBe(bundledFeed.titles.find((t) => t.bundleId === "com.google.Chrome")?.versions[0]?.version);
    expect(list.filter((t) => t.supportingProfileCount > 0).length).toBeGreaterThanOrEqual(3);

    // Syncing the same feed again changes nothing and writes no event.
    const before = counts(deps);
    const again = await syncCatalog(deps);
    expect(again.changed).toBe(false);
    expect(again.versionsAdded).toEqual([]);
    expect(counts(deps)).toEqual(before);
  });

  it("gives versions without a package URL a placeholder with real chunked SHA-256s", async () => {
    const deps = createTestDeps();
    await syncCatalog(deps, { source: writeFeed("small.json", smallFeed()) });
    const row = deps.db.select().from(catalogVersions).all().find((v) => v.version === "4.2.1");
    const bytes = buildPlaceholderPackage("com.example.editor", "4.2.1");
    expect(row).toMatchObject({ packageUrl: null, ...digestPackage(bytes) });
    expect(row?.sizeBytes).toBe(bytes.length);
    expect(row?.chunkSha256s.length).toBe(Math.ceil(bytes.length / (row?.chunkSizeBytes ?? 1)));
    expect(bytes.equals(buildPlaceholderPackage("com.example.editor", "4.2.1"))).toBe(true);
  });

  it("keeps a feed's own package URL, size and hash", async () => {
    const deps = createTestDeps();
    const feed = smallFeed();
    const sha = "ab".repeat(32);
    feed.titles[0]!.versions[0] = { ...feed.titles[0]!.versions[0]!, packageUrl: "https://cdn.example.com/Editor.pkg", sizeBytes: 1234, sha256: sha };
    await syncCatalog(deps, { source: writeFeed("hosted.json", feed) });
    const row = deps.db.select().from(catalogVersions).all().find((v) => v.version === "4.2.1");
    expect(row).toMatchObject({ packageUrl: "https://cdn.example.com/Editor.pkg", sizeBytes: 1234, sha256: sha, chunkSizeBytes: 1234, chunkSha256s: [sha] });
  });

  it("reports a newly added version, newest first in the list", async () => {
    const deps = createTestDeps();
    await syncCatalog(deps, { source: writeFeed("v1.json", smallFeed()) });
    const next = smallFeed();
    next.titles[0]!.versions.unshift({ version: "4.10.0", minimumOsVersion: "14.0", architectures: ["arm64"] });
    deps.clock.advance(1000);
    const report = await syncCatalog(deps, { source: writeFeed("v2.json", next), by: actingAs("admin@example.com") });
    expect(report.versionsAdded).toEqual([{ bundleId: "com.example.editor", title: "Editor", version: "4.10.0" }]);
    expect(report.titlesAdded).toEqual([]);
    const title = listCatalog(deps)[0]!;
    expect(title.versions.map((v) => v.version)).toEqual(["4.10.0", "4.2.1", "4.1.0"]);
    const audit = deps.db.select().from(auditLog).all().at(-1);
    expect(audit).toMatchObject({ action: "catalog.synced", actorName: "admin@example.com", actorRole: "admin" });
    expect(getCatalogTitle(deps, title.id).versions[0]).toMatchObject({ version: "4.10.0", minimumOsVersion: "14.0", architectures: ["arm64"] });
  });

  it("updates changed facts of an existing version", async () => {
    const deps = createTestDeps();
    await syncCatalog(deps, { source: writeFeed("u1.json", smallFeed()) });
    const next = smallFeed();
    next.titles[0]!.versions[1]!.minimumOsVersion = "12.3";
    const report = await syncCatalog(deps, { source: writeFeed("u2.json", next) });
    expect(report.versionsUpdated.map((v) => v.version)).toEqual(["4.1.0"]);
  });

  it.each([
    ["not JSON", "{ titles: [", /not valid JSON/],
    ["no titles", { titles: [] }, /titles: must list at least one title/],
    ["a bad architecture", { titles: [{ ...smallFeed().titles[0], versions: [{ version: "1.0", minimumOsVersion: "13.0", architectures: ["ppc"] }] }] }, /titles\[0\]\.versions\[0\]\.architectures\[0\]: must be 'arm64' or 'x86_64'/],
    ["a bad minimum macOS", { titles: [{ ...smallFeed().titles[0], versions: [{ version: "1.0", minimumOsVersion: "Sonoma", architectures: ["arm64"] }] }] }, /minimumOsVersion: must look like 14.0/],
    ["a duplicated bundle id", { titles: [smallFeed().titles[0], smallFeed().titles[0]] }, /bundle id com.example.editor is listed twice/],
    ["a package URL without a hash", { titles: [{ ...smallFeed().titles[0], versions: [{ version: "1.0", minimumOsVersion: "13.0", architectures: ["arm64"], packageUrl: "https://x.example/a.pkg" }] }] }, /needs sizeBytes and sha256/],
    ["a profile that is not a mobileconfig", { titles: [{ ...smallFeed().titles[0], supportingProfiles: [{ identifier: "p", displayName: "P", mobileconfig: "hello" }] }] }, /must be the XML text of a .mobileconfig/],
  ] as const)("rejects a feed with %s, changing nothing", async (_name, feed, message) => {
    const deps = createTestDeps();
    await syncCatalog(deps, { source: writeFeed("base.json", smallFeed()) });
    const before = counts(deps);
    await expect(syncCatalog(deps, { source: writeFeed(`bad-${_name}.json`, feed) })).rejects.toThrow(message);
    expect(counts(deps)).toEqual(before);
  });

  it("rejects a missing file with a clear error", async () => {
    const deps = createTestDeps();
    await expect(syncCatalog(deps, { source: path.join(tmp, "nope.json") })).rejects.toThrow(/could not be read: ENOENT/);
  });

  it("reads POMONA_CATALOG_FEED when no source is given", async () => {
    const deps = createTestDeps({ POMONA_CATALOG_FEED: writeFeed("env.json", smallFeed()) });
    const report = await syncCatalog(deps);
    expect(report.titlesAdded).toEqual(["Editor"]);
  });

  describe("over http", () => {
    let server: http.Server;
    let base = "";
    beforeAll(async () => {
      server = http.createServer((req, res) => {
        if (req.url === "/feed.json") return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(smallFeed()));
        res.writeHead(404).end();
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it("loads a feed from a URL", async () => {
      const deps = createTestDeps();
      expect((await syncCatalog(deps, { source: `${base}/feed.json` })).titlesAdded).toEqual(["Editor"]);
    });

    it("reports an HTTP error", async () => {
      const deps = createTestDeps();
      await expect(syncCatalog(deps, { source: `${base}/missing.json` })).rejects.toThrow(/answered HTTP 404/);
    });
  });

  it("validates the bundled feed's real facts", () => {
    const feed = parseFeed(bundledFeed, "bundled");
    expect(feed.titles.length).toBeGreaterThanOrEqual(30);
    for (const t of feed.titles) expect(t.versions.length).toBeGreaterThanOrEqual(1);
  });
});

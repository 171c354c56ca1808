import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";

import { syncCatalog } from "@/server/services/catalog";
import { getVersionManifest } from "@/server/services/manifests";
import { createTestDeps, type TestDeps } from "@/server/testing";
import { catalogTitles, catalogVersions } from "@/db/schema";

import { routeMdmGet } from "./http";
import { decodePlist } from "./plist";

type ManifestWire = { items: { assets: { kind: string; url: string; "sha256-size": number; sha256s: string[] }[]; metadata: Record<string, string> }[] };

const get = (deps: TestDeps, path: string, method = "GET") => routeMdmGet(deps, method, new URL(`http://pomona.test${path}`));

describe("manifests and hosted packages", () => {
  let deps: TestDeps;
  let versionId = 0;
  beforeAll(async () => {
    deps = createTestDeps({ POMONA_PUBLIC_URL: "http://127.0.0.1:3000" });
    await syncCatalog(deps);
    const row = deps.db
      .select({ id: catalogVersions.id })
      .from(catalogVersions)
      .innerJoin(catalogTitles, eq(catalogTitles.id, catalogVersions.titleId))
      .where(eq(catalogTitles.bundleId, "com.tinyspeck.slackmacgap"))
      .get();
    versionId = row!.id;
  });

  it("serves a manifest whose chunk hashes describe the package it points to, byte for byte", () => {
    const res = get(deps, `/mdm/manifests/${versionId}.plist`);
    expect(res.status).toBe(200);
    const manifest = decodePlist(String(res.body)) as unknown as ManifestWire;
    const item = manifest.items[0]!;
    expect(item.metadata).toMatchObject({ "bundle-identifier": "com.tinyspeck.slackmacgap", kind: "software", title: "Slack" });
    const asset = item.assets[0]!;
    expect(asset.kind).toBe("software-package");
    expect(asset.url).toBe(`http://127.0.0.1:3000/mdm/packages/${versionId}.pkg`);

    const pkg = get(deps, `/mdm/packages/${versionId}.pkg`);
    expect(pkg.status).toBe(200);
    const bytes = pkg.body as Buffer;
    expect(asset.sha256s.length).toBe(Math.ceil(bytes.length / asset["sha256-size"]));
    for (let i = 0; i < asset.sha256s.length; i++) {
      const chunk = bytes.subarray(i * asset["sha256-size"], (i + 1) * asset["sha256-size"]);
      expect(createHash("sha256").update(chunk).digest("hex")).toBe(asset.sha256s[i]);
    }
    const stored = deps.db.select().from(catalogVersions).where(eq(catalogVersions.id, versionId)).get();
    expect(bytes.length).toBe(stored?.sizeBytes);
  });

  it("answers HEAD without a body and refuses other methods", () => {
    expect(get(deps, `/mdm/packages/${versionId}.pkg`, "HEAD").status).toBe(200);
    expect(get(deps, `/mdm/packages/${versionId}.pkg`, "PUT").status).toBe(405);
    expect(get(deps, `/mdm/manifests/${versionId}.plist`, "POST").status).toBe(405);
  });

  it("404s unknown versions and paths", () => {
    expect(get(deps, "/mdm/manifests/999999.plist").status).toBe(404);
    expect(get(deps, "/mdm/packages/999999.pkg").status).toBe(404);
    expect(get(deps, "/mdm/whatever").status).toBe(404);
  });

  it("never serves a manifest that fails validation", async () => {
    const strict = createTestDeps({ POMONA_PUBLIC_URL: "https://mdm.example.com" });
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pomona-m-")), "feed.json");
    fs.writeFileSync(
      file,
      JSON.stringify({
        titles: [
          {
            name: "Plain",
            bundleId: "com.example.plain",
            publisher: "Example",
            category: "Utilities",
            versions: [{ version: "1.0", minimumOsVersion: "13.0", architectures: ["arm64"], packageUrl: "http://cdn.example.com/plain.pkg", sizeBytes: 10, sha256: "a".repeat(64) }],
          },
        ],
      }),
    );
    await syncCatalog(strict, { source: file });
    const id = strict.db.select({ id: catalogVersions.id }).from(catalogVersions).get()!.id;
    expect(getVersionManifest(strict, id)?.check).toEqual({ ok: false, reason: "Invalid manifest: package URL must use https (got http)" });
    const res = get(strict, `/mdm/manifests/${id}.plist`);
    expect(res.status).toBe(409);
    expect(String(res.body)).toContain("must use https");
  });
});

import { describe, expect, it } from "vitest";

import { buildManifest, validateManifest, type ManifestInput } from "./manifest";

const hash = (c: string) => c.repeat(64);
const base: ManifestInput = {
  packageUrl: "https://mdm.example.com/mdm/packages/7.pkg",
  sizeBytes: 150_000,
  chunkSizeBytes: 65_536,
  chunkSha256s: [hash("a"), hash("b"), hash("c")],
  bundleId: "com.example.editor",
  version: "4.2.1",
  title: "Editor",
  publisher: "Example Inc.",
};

describe("manifest", () => {
  it("builds Apple's shape: one item, a software-package asset, metadata", () => {
    expect(buildManifest(base)).toEqual({
      items: [
        {
          assets: [{ kind: "software-package", url: base.packageUrl, "sha256-size": 65_536, sha256s: base.chunkSha256s }],
          metadata: { "bundle-identifier": "com.example.editor", "bundle-version": "4.2.1", kind: "software", title: "Editor", subtitle: "Example Inc." },
        },
      ],
    });
  });

  it("accepts a valid manifest, and one hash over the whole file", () => {
    expect(validateManifest(buildManifest(base), { sizeBytes: 150_000, allowHttp: false })).toEqual({ ok: true });
    const whole = buildManifest({ ...base, chunkSizeBytes: 150_000, chunkSha256s: [hash("d")] });
    expect(validateManifest(whole, { sizeBytes: 150_000, allowHttp: false })).toEqual({ ok: true });
  });

  it.each([
    ["a plain-http package URL for real Macs", { packageUrl: "http://mdm.example.com/a.pkg" }, false, "package URL must use https (got http)"],
    ["a hash count that does not match ceil(size / chunk)", { chunkSha256s: [hash("a"), hash("b")] }, false, "2 SHA-256 hashes for 3 chunks of 65536 bytes"],
    ["a malformed hash", { chunkSha256s: [hash("a"), hash("b"), "xyz"] }, false, '"xyz" is not a SHA-256 hash'],
    ["a missing bundle id", { bundleId: "" }, false, "missing bundle identifier"],
    ["a missing version", { version: " " }, false, "missing bundle version"],
    ["a missing title", { title: "" }, false, "missing title"],
    ["a URL that is not a URL", { packageUrl: "not a url" }, true, "is not a URL"],
  ] as const)("refuses %s", (_name, patch, allowHttp, reason) => {
    const result = validateManifest(buildManifest({ ...base, ...patch }), { sizeBytes: 150_000, allowHttp });
    expect(result.ok).toBe(false);
    expect(result.ok ? "" : result.reason).toContain(reason);
  });

  it("allows plain http only when Pomona itself is served over http", () => {
    const m = buildManifest({ ...base, packageUrl: "http://localhost:3000/mdm/packages/7.pkg" });
    expect(validateManifest(m, { sizeBytes: 150_000, allowHttp: true })).toEqual({ ok: true });
  });
});

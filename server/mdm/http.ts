// Pomona's own HTTP handler for everything under /mdm: the Mac-facing hot path, served without Next.js.
import type { IncomingMessage, ServerResponse } from "node:http";

import { eq } from "drizzle-orm";

import type { Deps } from "@/server/deps";
import { acceptsSettled } from "@/server/event-loop";
import { getVersionManifest } from "@/server/services/manifests";
import { buildPlaceholderPackage } from "@/server/services/packages";
import { catalogTitles, catalogVersions } from "@/db/schema";

import { handleMdmRequest, MAX_MDM_BODY_BYTES } from "./endpoint";
import { handleEnrollRequest } from "./enroll";
import { textResult, type MdmHttpResult } from "./http-result";
import { encodePlist } from "./plist";

export type { MdmHttpResult } from "./http-result";

export const MDM_PREFIX = "/mdm";

export function isMdmPath(pathname: string) {
  return pathname === MDM_PREFIX || pathname.startsWith(`${MDM_PREFIX}/`);
}

/** GET /mdm/packages/<versionId>.pkg: a placeholder package, byte-for-byte what its catalog hashes describe. */
function servePackage(deps: Pick<Deps, "db">, versionId: number): MdmHttpResult {
  const row = deps.db
    .select({ bundleId: catalogTitles.bundleId, version: catalogVersions.version, packageUrl: catalogVersions.packageUrl })
    .from(catalogVersions)
    .innerJoin(catalogTitles, eq(catalogTitles.id, catalogVersions.titleId))
    .where(eq(catalogVersions.id, versionId))
    .get();
  if (!row || row.packageUrl !== null) return textResult(404, "No package hosted here for that version");
  return {
    status: 200,
    headers: {
      "content-type": "application/octet-stream",
      "content-disposition": `attachment; filename="${row.bundleId}-${row.version}.pkg"`,
      "cache-control": "public, max-age=31536000, immutable",
    },
    body: buildPlaceholderPackage(row.bundleId, row.version),
  };
}

/** GET /mdm/manifests/<versionId>.plist: the manifest InstallEnterpriseApplication's ManifestURL names. */
function serveManifest(deps: Deps, versionId: number): MdmHttpResult {
  const found = getVersionManifest(deps, versionId);
  if (!found) return textResult(404, "No manifest for that version");
  // Never hand a Mac a manifest that fails validation: it can block every later install until a reboot.
  if (!found.check.ok) return textResult(409, found.check.reason);
  return { status: 200, headers: { "content-type": "application/xml; charset=utf-8" }, body: encodePlist(found.manifest) };
}

const onlyGet = (method: string) => (method === "GET" || method === "HEAD" ? undefined : textResult(405, "Method not allowed", { allow: "GET, HEAD" }));

/** Routes a GET under /mdm (everything but the PUT endpoint and enrollment). */
export function routeMdmGet(deps: Deps, method: string, url: URL): MdmHttpResult {
  const path = url.pathname;
  const manifest = /^\/mdm\/manifests\/(\d{1,12})\.plist$/.exec(path);
  if (manifest?.[1]) return onlyGet(method) ?? serveManifest(deps, Number(manifest[1]));
  const pkg = /^\/mdm\/packages\/(\d{1,12})\.pkg$/.exec(path);
  if (pkg?.[1]) return onlyGet(method) ?? servePackage(deps, Number(pkg[1]));
  return textResult(404, "Not found");
}

type BodyRead = { ok: true; body: Buffer } | { ok: false; reason: string };

/** Reads a request body, stopping as soon as it passes `limit` bytes, with or without Content-Length. */
export function readBody(req: IncomingMessage, limit: number): Promise<BodyRead> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve({ ok: false, reason: `body larger than ${limit} bytes` });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (r: BodyRead) => {
      if (done) return;
      done = true;
      req.off("data", onData);
      resolve(r);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return finish({ ok: false, reason: `body larger than ${limit} bytes` });
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.once("end", () => finish({ ok: true, body: Buffer.concat(chunks, size) }));
    req.once("error", () => finish({ ok: false, reason: "request body could not be read" }));
  });
}

function write(req: IncomingMessage, res: ServerResponse, result: MdmHttpResult, options: { close?: boolean } = {}) {
  const body = result.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(result.body) ? result.body : Buffer.from(result.body);
  const headers: Record<string, string> = Object.assign({}, result.headers, { "content-length": String(body.length) });
  if (options.close) headers.connection = "close";
  res.writeHead(result.status, headers);
  res.end(req.method === "HEAD" ? undefined : body);
}

/** The node:http adapter for everything under /mdm. */
export async function handleMdmHttp(deps: Deps, req: IncomingMessage, res: ServerResponse) {
  const method = req.method ?? "GET";
  let url: URL;
  try {
    url = new URL(req.url ?? "/", "http://pomona.invalid");
  } catch {
    return write(req, res, textResult(400, "bad request URL"));
  }
  try {
    // Connections arriving together are all accepted before requests read meanwhile run (event-loop.ts).
    const burst = acceptsSettled();
    if (burst) await burst;
    // Enrollment waits for an identity key from the pool (server/services/pki.ts); the other GETs are static.
    if (url.pathname === `${MDM_PREFIX}/enroll`) return write(req, res, onlyGet(method) ?? (await handleEnrollRequest(deps, url.searchParams.get("token"))));
    if (url.pathname !== MDM_PREFIX) return write(req, res, routeMdmGet(deps, method, url));
    if (method !== "PUT") return write(req, res, textResult(405, "Method not allowed: Macs use PUT /mdm", { allow: "PUT" }));
    const read = await readBody(req, MAX_MDM_BODY_BYTES);
    // An oversized body is refused without reading the rest; the connection is closed behind the answer.
    if (!read.ok) return write(req, res, textResult(400, read.reason), { close: true });
    const header = req.headers["mdm-signature"];
    const result = await handleMdmRequest(deps, {
      method,
      contentType: req.headers["content-type"] ?? "",
      body: read.body,
      signature: Array.isArray(header) ? header[0] : header,
    });
    write(req, res, result);
  } catch (e) {
    deps.log.error("mdm request failed", { path: url.pathname, error: e });
    if (!res.headersSent) write(req, res, textResult(500, "internal error"));
  }
}

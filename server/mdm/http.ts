// Pomona's own HTTP handler for everything under /mdm: the Mac-facing hot path, served without Next.js.
import type { IncomingMessage, ServerResponse } from "node:http";

import { eq } from "drizzle-orm";

import type { Deps } from "@/server/deps";
import { buildPlaceholderPackage } from "@/server/services/packages";
import { catalogTitles, catalogVersions } from "@/db/schema";

export const MDM_PREFIX = "/mdm";

export function isMdmPath(pathname: string) {
  return pathname === MDM_PREFIX || pathname.startsWith(`${MDM_PREFIX}/`);
}

export type MdmHttpResult = { status: number; headers?: Record<string, string>; body?: string | Buffer };

const text = (status: number, message: string, headers: Record<string, string> = {}): MdmHttpResult => ({
  status,
  headers: { "content-type": "text/plain; charset=utf-8", ...headers },
  body: `${message}\n`,
});

/** The URL of a package Pomona hosts for a catalog version. */
export function hostedPackagePath(versionId: number) {
  return `${MDM_PREFIX}/packages/${versionId}.pkg`;
}

/** GET /mdm/packages/<versionId>.pkg: a placeholder package, byte-for-byte what its catalog hashes describe. */
function servePackage(deps: Pick<Deps, "db">, versionId: number): MdmHttpResult {
  const row = deps.db
    .select({ bundleId: catalogTitles.bundleId, version: catalogVersions.version, packageUrl: catalogVersions.packageUrl })
    .from(catalogVersions)
    .innerJoin(catalogTitles, eq(catalogTitles.id, catalogVersions.titleId))
    .where(eq(catalogVersions.id, versionId))
    .get();
  if (!row || row.packageUrl !== null) return text(404, "No package hosted here for that version");
  const bytes = buildPlaceholderPackage(row.bundleId, row.version);
  return {
    status: 200,
    headers: {
      "content-type": "application/octet-stream",
      "content-disposition": `attachment; filename="${row.bundleId}-${row.version}.pkg"`,
      "cache-control": "public, max-age=31536000, immutable",
    },
    body: bytes,
  };
}

/** Routes a request under /mdm. Device check-in and command traffic (PUT /mdm) is added by the MDM endpoint. */
export function routeMdmRequest(deps: Pick<Deps, "db">, method: string, pathname: string): MdmHttpResult {
  if (pathname === MDM_PREFIX) {
    if (method !== "PUT") return text(405, "Method not allowed: Macs use PUT /mdm", { allow: "PUT" });
    return text(501, "The MDM endpoint is not available in this build");
  }
  const pkg = /^\/mdm\/packages\/(\d+)\.pkg$/.exec(pathname);
  if (pkg?.[1]) {
    if (method !== "GET" && method !== "HEAD") return text(405, "Method not allowed", { allow: "GET, HEAD" });
    return servePackage(deps, Number(pkg[1]));
  }
  return text(404, "Not found");
}

/** The node:http adapter: reads the method and path, writes the result with an exact Content-Length. */
export function handleMdmHttp(deps: Deps, req: IncomingMessage, res: ServerResponse, pathname: string) {
  let result: MdmHttpResult;
  try {
    result = routeMdmRequest(deps, req.method ?? "GET", pathname);
  } catch (e) {
    deps.log.error("mdm request failed", { path: pathname, error: e });
    result = text(500, "Internal error");
  }
  const body = result.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(result.body) ? result.body : Buffer.from(result.body);
  res.writeHead(result.status, { ...result.headers, "content-length": String(body.length) });
  res.end(req.method === "HEAD" ? undefined : body);
}

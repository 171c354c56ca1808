// The origins this server answers as, for the CSRF gate on /api/trpc and better-auth's origin check alike.

/** The request's own Host (as the reverse proxy reports it), and POMONA_PUBLIC_URL's. */
export function ownOriginsOf(req: Request, publicUrl: string): string[] {
  const url = new URL(req.url);
  const host = req.headers.get("host");
  const proto = req.headers.get("x-forwarded-proto") ?? url.protocol.replace(":", "");
  const origins = [url.origin, new URL(publicUrl).origin];
  if (host) origins.push(`${proto}://${host}`);
  return [...new Set(origins)];
}

/** The client's address as the reverse proxy reports it; recorded in the audit log, never trusted for access. */
export function clientIpOf(headers: Headers): string | undefined {
  const forwarded = headers.get("x-forwarded-for")?.split(",")[0]?.trim();
  return headers.get("x-real-ip")?.trim() || forwarded || undefined;
}

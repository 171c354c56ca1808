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

/**
 * The header the custom server (scripts/serve.ts) sets on every request it hands to Next.js, replacing any
 * value the client sent: the client's address for the audit log and for better-auth's per-address rate limit.
 */
export const CLIENT_IP_HEADER = "x-pomona-client-ip";

/**
 * Who is on the other end: the socket's address, or, when the socket is a reverse proxy on this machine
 * (loopback), the address that proxy reports in X-Real-IP or X-Forwarded-For. Forwarding headers from
 * anyone else are ignored: a client could write them.
 */
export function clientIpFromSocket(remoteAddress: string | undefined, forwarded: { realIp?: string; forwardedFor?: string }): string | undefined {
  const socket = remoteAddress?.replace(/^::ffff:/, "");
  const loopback = socket === "127.0.0.1" || socket === "::1";
  if (loopback) {
    const proxied = forwarded.realIp?.trim() || forwarded.forwardedFor?.split(",").at(-1)?.trim();
    if (proxied) return proxied;
  }
  return socket;
}

/** The client's address the custom server recorded, for the audit log. */
export function clientIpOf(headers: Headers): string | undefined {
  return headers.get(CLIENT_IP_HEADER) ?? undefined;
}

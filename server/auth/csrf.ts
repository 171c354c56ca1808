// The CSRF gate in front of every POST a browser session can make: tRPC mutations and better-auth's
// sign-in, sign-out and password change (reliability-security.md §4, DESIGN §4.2 "Mutations accept JSON only
// and check Origin"). tRPC 11 would run a mutation posted as a form (multipart, urlencoded, text/plain need no
// CORS preflight), so a cross-site page could trigger one with the admin's cookies; better-auth checks Origin
// only when a cookie is present, which leaves sign-in open to login CSRF.

export type CsrfRefusal = { status: 403 | 415; message: string };

/**
 * Why a POST to /api/trpc must be refused, or undefined to let it through: only JSON bodies, and when the
 * browser says where the request comes from (`Sec-Fetch-Site`, `Origin`), only this site.
 */
export function checkMutationRequest(headers: Headers, ownOrigins: readonly string[]): CsrfRefusal | undefined {
  const type = (headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json") return { status: 415, message: "Mutations accept application/json only" };
  const site = headers.get("sec-fetch-site");
  if (site === "cross-site") return { status: 403, message: "Cross-site requests are refused" };
  const origin = headers.get("origin");
  if (origin !== null && origin !== "null" && !ownOrigins.includes(origin)) return { status: 403, message: `Requests from ${origin} are refused` };
  if (origin === "null") return { status: 403, message: "Requests from an opaque origin are refused" };
  return undefined;
}

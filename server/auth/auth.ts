// Admin sign-in: better-auth with its drizzle adapter over Pomona's own SQLite file (Step 6).
// - passwords: scrypt at OWASP strength (server/auth/password.ts), no sign-up (admins create accounts);
// - sessions: server-side rows, 256-bit tokens in an HttpOnly, SameSite=Lax cookie, `__Host-` and Secure
//   when Pomona is served over https; 2 hours idle, 12 hours at most; a new session on every sign-in and
//   the one the browser held before is revoked (no fixation); sign-out deletes the row;
// - throttling: per account (server/auth/throttle.ts) and better-auth's per-IP rate limit on sign-in;
// - every sign-in, failed or not, and every sign-out lands in the audit log.
import { randomBytes } from "node:crypto";

import { betterAuth } from "better-auth";
import { drizzleAdapter } from "better-auth/adapters/drizzle";
import { APIError, createAuthMiddleware, getSessionFromCtx } from "better-auth/api";
import { eq } from "drizzle-orm";

import { checkMutationRequest } from "@/server/auth/csrf";
import { CLIENT_IP_HEADER, clientIpOf, ownOriginsOf } from "@/server/auth/origins";
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, hashPassword, verifyPassword } from "@/server/auth/password";
import { clearFailures, lockedUntil, recordFailure } from "@/server/auth/throttle";
import { HOUR, MINUTE, systemClock, type Clock } from "@/server/clock";
import type { Deps } from "@/server/deps";
import { recordAdminAction, type AuditActor } from "@/server/services/audit";
import { account, session, settings, user, verification, type Role } from "@/db/schema";

export const SESSION_IDLE_MS = 2 * HOUR;
export const SESSION_ABSOLUTE_MS = 12 * HOUR;
const SIGN_IN_PATH = "/sign-in/email";

type AuthDeps = Pick<Deps, "db" | "clock" | "publicUrl">;

/** The cookie's name: `__Host-` needs Secure, Path=/ and no Domain, so only when served over https. */
export function sessionCookieName(publicUrl: string): string {
  return publicUrl.startsWith("https://") ? "__Host-pomona.session" : "pomona.session";
}

/** The key that signs session cookies: generated once and kept in the database, so restarts keep sessions. */
function authSecret(deps: Pick<Deps, "db" | "clock">): string {
  const now = deps.clock.now();
  deps.db.insert(settings).values({ key: "auth.secret", value: randomBytes(32).toString("base64url"), updatedAt: now }).onConflictDoNothing().run();
  return String(deps.db.select().from(settings).where(eq(settings.key, "auth.secret")).get()!.value);
}

/** The email a sign-in request names (its body is untyped JSON). */
const emailOf = (body: unknown): string => {
  const email = (body as { email?: unknown } | undefined)?.email;
  return typeof email === "string" ? email : "";
};

export function createAuth(deps: AuthDeps, options: { wallClock?: Clock } = {}) {
  // Sessions and lockouts run on wall-clock time even when the fleet runs on the demo's simulated clock.
  const wall = options.wallClock ?? systemClock;
  const secure = deps.publicUrl.startsWith("https://");
  const cookieAttributes = { secure, httpOnly: true, sameSite: "lax" as const, path: "/" };
  const audit = (by: AuditActor, action: string, summary: string) =>
    deps.db.transaction((tx) => recordAdminAction(tx, deps.clock.now(), by, { action, target: { type: "session", name: by.name }, summary }));
  const stranger = (email: string, ip: string | undefined): AuditActor => ({ kind: "user", id: null, name: email, role: "none", ip });
  const person = (u: { id: string; email: string; role: Role }, ip: string | undefined): AuditActor => ({ kind: "user", id: u.id, name: u.email, role: u.role, ip });

  return betterAuth({
    appName: "Pomona",
    baseURL: deps.publicUrl,
    basePath: "/api/auth",
    secret: authSecret(deps),
    database: drizzleAdapter(deps.db, { provider: "sqlite", schema: { user, session, account, verification } }),
    emailAndPassword: {
      enabled: true,
      disableSignUp: true,
      minPasswordLength: MIN_PASSWORD_LENGTH,
      maxPasswordLength: MAX_PASSWORD_LENGTH,
      password: { hash: hashPassword, verify: verifyPassword },
    },
    user: { additionalFields: { role: { type: "string", required: true, input: false } } },
    session: { expiresIn: SESSION_IDLE_MS / 1000, updateAge: (5 * MINUTE) / 1000 },
    rateLimit: { enabled: true, storage: "memory", window: 60, max: 100, customRules: { [SIGN_IN_PATH]: { window: 60, max: 20 } } },
    trustedOrigins: (request) => (request ? ownOriginsOf(request, deps.publicUrl) : [new URL(deps.publicUrl).origin]),
    advanced: {
      useSecureCookies: false, // the names below carry their own prefix
      cookies: {
        session_token: { name: sessionCookieName(deps.publicUrl), attributes: cookieAttributes },
        dont_remember: { name: secure ? "__Host-pomona.dont_remember" : "pomona.dont_remember", attributes: cookieAttributes },
      },
      database: { generateId: () => randomBytes(16).toString("hex") },
      ipAddress: { ipAddressHeaders: [CLIENT_IP_HEADER] },
    },
    telemetry: { enabled: false },
    hooks: {
      before: createAuthMiddleware(async (ctx) => {
        if (ctx.path === "/sign-out") {
          // Audited before the session row is gone (sign-out always succeeds).
          const current = await getSessionFromCtx(ctx);
          if (current) audit(person(current.user as unknown as { id: string; email: string; role: Role }, ctx.request ? clientIpOf(ctx.request.headers) : undefined), "session.signed_out", "Signed out");
          return;
        }
        if (ctx.path !== SIGN_IN_PATH) return;
        const email = emailOf(ctx.body);
        const until = lockedUntil(deps.db, wall, email);
        if (until) {
          audit(stranger(email, ctx.request ? clientIpOf(ctx.request.headers) : undefined), "session.sign_in_refused", "Sign-in refused: too many failed attempts");
          throw new APIError("TOO_MANY_REQUESTS", { message: `Too many failed sign-ins. Try again after ${until.toISOString()}.` });
        }
      }),
      after: createAuthMiddleware(async (ctx) => {
        const ip = ctx.request ? clientIpOf(ctx.request.headers) : undefined;
        if (ctx.path === SIGN_IN_PATH) {
          const email = emailOf(ctx.body).toLowerCase();
          const signedIn = ctx.context.newSession;
          if (!signedIn) {
            if (ctx.context.returned instanceof APIError && ctx.context.returned.status === "UNAUTHORIZED") {
              recordFailure(deps.db, wall, email);
              audit(stranger(email, ip), "session.sign_in_failed", "Sign-in failed: wrong email or password");
            }
            return;
          }
          clearFailures(deps.db, email);
          // Rotation: the session this browser held before (if any) ends now.
          const previous = await ctx.getSignedCookie(ctx.context.authCookies.sessionToken.name, ctx.context.secret);
          if (previous && previous !== signedIn.session.token) await ctx.context.internalAdapter.deleteSession(previous);
          const u = signedIn.user as typeof signedIn.user & { role: Role };
          audit(person(u, ip), "session.signed_in", "Signed in");
          // The token stays in its HttpOnly cookie; the JSON body does not repeat it to page scripts.
          return ctx.json({ user: { email: u.email, name: u.name, role: u.role } });
        }
        if (ctx.path === "/change-password" && ctx.context.session && !(ctx.context.returned instanceof APIError)) {
          audit(person(ctx.context.session.user as unknown as { id: string; email: string; role: Role }, ip), "session.password_changed", "Changed their own password (other sessions ended)");
        }
      }),
    },
  });
}

export type Auth = ReturnType<typeof createAuth>;

/**
 * The better-auth endpoints Pomona uses. The rest (update-user, password-reset e-mails, social sign-in, account
 * linking…) would be unaudited ways to change an account, so they answer 404.
 */
const AUTH_ENDPOINTS = new Set(["/sign-in/email", "/sign-out", "/change-password", "/get-session"]);

/** /api/auth/*: only Pomona's endpoints, and every POST passes the same CSRF gate as tRPC mutations. */
export async function handleAuthRequest(deps: AuthDeps, req: Request, auth: Auth = getAuth(deps)): Promise<Response> {
  const endpoint = new URL(req.url).pathname.replace(/^\/api\/auth/, "");
  if (!AUTH_ENDPOINTS.has(endpoint)) return Response.json({ message: "Not found" }, { status: 404 });
  if (req.method === "POST") {
    const refusal = checkMutationRequest(req.headers, ownOriginsOf(req, deps.publicUrl));
    if (refusal) return Response.json({ message: refusal.message }, { status: refusal.status });
  }
  return auth.handler(req);
}

const authOf = new WeakMap<object, Auth>();

/** One better-auth instance per database handle (Next's bundle and the custom server share deps). */
export function getAuth(deps: AuthDeps): Auth {
  let auth = authOf.get(deps.db);
  if (!auth) authOf.set(deps.db, (auth = createAuth(deps)));
  return auth;
}

export type SessionUser = { id: string; email: string; name: string; role: Role; sessionId: string };

/**
 * The signed-in admin behind these request headers, or undefined. better-auth checks the cookie's signature,
 * the row and the idle expiry; the absolute lifetime is checked here (better-auth only slides).
 */
export async function sessionUserOf(deps: AuthDeps, headers: Headers, wall: Clock = systemClock): Promise<SessionUser | undefined> {
  if (!headers.get("cookie")?.includes("pomona.session")) return undefined;
  const auth = getAuth(deps);
  const found = await auth.api.getSession({ headers });
  if (!found) return undefined;
  if (wall.now().getTime() - found.session.createdAt.getTime() > SESSION_ABSOLUTE_MS) {
    deps.db.delete(session).where(eq(session.id, found.session.id)).run();
    return undefined;
  }
  const u = found.user as typeof found.user & { role: Role };
  return { id: u.id, email: u.email, name: u.name, role: u.role, sessionId: found.session.id };
}

// Admin sign-in end to end through better-auth's handler: cookies, rotation, sign-out, role change,
// lifetimes, throttling and the audit rows they leave. Each sign-in costs one full scrypt (N = 2^17).
import { describe, expect, it } from "vitest";

import { createSimulatedClock, HOUR, MINUTE, systemClock } from "@/server/clock";
import { setUserRole } from "@/server/services/users";
import { createUser } from "@/server/services/users";
import { actingAs, createTestDeps, type TestDeps } from "@/server/testing";
import { auditLog, session, user } from "@/db/schema";

import { createAuth, handleAuthRequest, SESSION_ABSOLUTE_MS, sessionUserOf, type Auth } from "./auth";
import { MAX_FAILURES } from "./throttle";

let clients = 0;

async function withAdmin(env: Record<string, string> = {}) {
  const deps = createTestDeps(env);
  // better-auth stamps sessions with the real time; the wall clock starts there and then moves on demand.
  const wall = createSimulatedClock({ start: systemClock.now() });
  const auth = createAuth(deps, { wallClock: wall });
  const { id, password } = await createUser(deps, { email: "Ada@Example.com", role: "admin" }, actingAs("setup"));
  // Each test its own address: better-auth's per-address limit (20 sign-ins a minute) is process-wide.
  return { deps, wall, auth, id, password, origin: new URL(deps.publicUrl).origin, ip: `10.0.0.${++clients}` };
}

function signIn(t: { deps: TestDeps; auth: Auth; origin: string; ip: string }, password: string, cookie?: string, email = "ada@example.com") {
  const headers: Record<string, string> = { "content-type": "application/json", origin: t.origin, "x-pomona-client-ip": t.ip };
  if (cookie) headers.cookie = cookie;
  return handleAuthRequest(t.deps, new Request(`${t.origin}/api/auth/sign-in/email`, { method: "POST", headers, body: JSON.stringify({ email, password }) }), t.auth);
}

/** The cookie a browser would send back: name=value of the session cookie. */
const cookieOf = (res: Response) => res.headers.getSetCookie().find((c) => c.includes("pomona.session="))?.split(";")[0];
const headersWith = (cookie: string | undefined) => new Headers(cookie ? { cookie } : {});
const audit = (deps: TestDeps) => deps.db.select().from(auditLog).all().map((a) => [a.action, a.actorName]);

describe("admin sign-in", () => {
  it("sets an HttpOnly, SameSite=Lax session cookie, answers without the token, and audits the sign-in", async () => {
    const t = await withAdmin();
    const res = await signIn(t, t.password);
    expect(res.status).toBe(200);
    const setCookie = res.headers.getSetCookie().find((c) => c.startsWith("pomona.session="))!;
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    expect(setCookie).toMatch(/Path=\//);
    expect(setCookie).not.toMatch(/Domain=/i);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({ user: { email: "ada@example.com", name: "ada@example.com", role: "admin" } });
    const token = t.deps.db.select().from(session).get()!.token;
    expect(token.length).toBeGreaterThanOrEqual(32);
    expect(JSON.stringify(body)).not.toContain(token);
    expect(await sessionUserOf(t.deps, headersWith(cookieOf(res)), t.wall)).toMatchObject({ email: "ada@example.com", role: "admin" });
    expect(audit(t.deps)).toContainEqual(["session.signed_in", "ada@example.com"]);
  });

  it("behind https the cookie is __Host- and Secure", async () => {
    const t = await withAdmin({ POMONA_PUBLIC_URL: "https://mdm.example.com" });
    const res = await signIn(t, t.password);
    const setCookie = res.headers.getSetCookie().find((c) => c.includes("pomona.session="))!;
    expect(setCookie.startsWith("__Host-pomona.session=")).toBe(true);
    expect(setCookie).toMatch(/; Secure/i);
    expect(setCookie).toMatch(/Path=\//);
    expect(setCookie).not.toMatch(/Domain=/i);
  });

  it("a wrong password is 401 and audited; a foreign Origin is refused", async () => {
    const t = await withAdmin();
    expect((await signIn(t, "wrong-password-123")).status).toBe(401);
    expect((await signIn(t, "whatever-password", undefined, "nobody@example.com")).status).toBe(401);
    expect(audit(t.deps)).toEqual(expect.arrayContaining([["session.sign_in_failed", "ada@example.com"], ["session.sign_in_failed", "nobody@example.com"]]));
    const post = (headers: Record<string, string>, body: string) => handleAuthRequest(t.deps, new Request(`${t.origin}/api/auth/sign-in/email`, { method: "POST", headers, body }), t.auth);
    const credentials = JSON.stringify({ email: "ada@example.com", password: t.password });
    expect((await post({ "content-type": "application/json", origin: "https://evil.example" }, credentials)).status).toBe(403);
    expect((await post({ "content-type": "application/json", "sec-fetch-site": "cross-site" }, credentials)).status).toBe(403);
    expect((await post({ "content-type": "application/x-www-form-urlencoded", origin: t.origin }, "email=ada%40example.com&password=x")).status).toBe(415);
    expect(t.deps.db.select().from(session).all()).toEqual([]);
  });

  it("rotates on sign-in: the session the browser held before ends", async () => {
    const t = await withAdmin();
    const first = cookieOf(await signIn(t, t.password))!;
    const second = cookieOf(await signIn(t, t.password, first))!;
    expect(second).not.toBe(first);
    expect(await sessionUserOf(t.deps, headersWith(first), t.wall)).toBeUndefined();
    expect(await sessionUserOf(t.deps, headersWith(second), t.wall)).toBeDefined();
    expect(t.deps.db.select().from(session).all()).toHaveLength(1);
  });

  it("sign-out deletes the session; a role change ends every session of that person", async () => {
    const t = await withAdmin();
    const a = cookieOf(await signIn(t, t.password))!;
    const res = await handleAuthRequest(t.deps, new Request(`${t.origin}/api/auth/sign-out`, { method: "POST", headers: { cookie: a, origin: t.origin, "content-type": "application/json" }, body: "{}" }), t.auth);
    expect(res.status).toBe(200);
    expect(await sessionUserOf(t.deps, headersWith(a), t.wall)).toBeUndefined();
    expect(audit(t.deps)).toContainEqual(["session.signed_out", "ada@example.com"]);

    const b = cookieOf(await signIn(t, t.password))!;
    await createUser(t.deps, { email: "other-admin@example.com", role: "admin" }, actingAs("setup"));
    expect(setUserRole(t.deps, { id: t.id, role: "auditor" }, actingAs("other-admin@example.com")).sessionsEnded).toBe(1);
    expect(await sessionUserOf(t.deps, headersWith(b), t.wall)).toBeUndefined();
    const c = cookieOf(await signIn(t, t.password))!;
    expect(await sessionUserOf(t.deps, headersWith(c), t.wall)).toMatchObject({ role: "auditor" });
  });

  it("changing one's own password needs the current one, ends other sessions and is audited", async () => {
    const t = await withAdmin();
    const other = cookieOf(await signIn(t, t.password))!;
    const mine = cookieOf(await signIn(t, t.password))!;
    const change = (body: object) =>
      handleAuthRequest(t.deps, new Request(`${t.origin}/api/auth/change-password`, { method: "POST", headers: { cookie: mine, origin: t.origin, "content-type": "application/json" }, body: JSON.stringify(body) }), t.auth);
    expect((await change({ currentPassword: "not-the-password", newPassword: "a-new-long-passphrase", revokeOtherSessions: true })).status).toBe(400);
    expect((await change({ currentPassword: t.password, newPassword: "a-new-long-passphrase", revokeOtherSessions: true })).status).toBe(200);
    expect(await sessionUserOf(t.deps, headersWith(other), t.wall)).toBeUndefined();
    expect(audit(t.deps)).toContainEqual(["session.password_changed", "ada@example.com"]);
    expect((await signIn(t, t.password)).status).toBe(401);
    expect((await signIn(t, "a-new-long-passphrase")).status).toBe(200);
  }, 30_000);

  it("a session ends after 12 hours however active it is", async () => {
    const t = await withAdmin();
    const cookie = cookieOf(await signIn(t, t.password))!;
    t.wall.advance(SESSION_ABSOLUTE_MS - MINUTE);
    expect(await sessionUserOf(t.deps, headersWith(cookie), t.wall)).toBeDefined();
    t.wall.advance(2 * MINUTE);
    expect(await sessionUserOf(t.deps, headersWith(cookie), t.wall)).toBeUndefined();
    expect(t.deps.db.select().from(session).all()).toEqual([]);
  });

  it(`locks an account for 15 minutes after ${MAX_FAILURES} failures, even for the right password`, async () => {
    const t = await withAdmin();
    for (let i = 0; i < MAX_FAILURES; i++) expect((await signIn(t, `wrong-${i}-password`)).status).toBe(401);
    const locked = await signIn(t, t.password);
    expect(locked.status).toBe(429);
    expect(((await locked.json()) as { message: string }).message).toMatch(/Too many failed sign-ins/);
    expect(t.deps.db.select().from(session).all()).toEqual([]);
    expect(audit(t.deps)).toContainEqual(["session.sign_in_refused", "ada@example.com"]);
    t.wall.advance(15 * MINUTE + 1000);
    expect((await signIn(t, t.password)).status).toBe(200);
  }, 30_000);

  it("serves only sign-in, sign-out, password change and session; update-user and the rest are 404", async () => {
    const t = await withAdmin();
    const cookie = cookieOf(await signIn(t, t.password))!;
    const post = (path: string, body: object) =>
      handleAuthRequest(t.deps, new Request(`${t.origin}/api/auth${path}`, { method: "POST", headers: { cookie, origin: t.origin, "content-type": "application/json" }, body: JSON.stringify(body) }), t.auth);
    for (const path of ["/update-user", "/sign-up/email", "/request-password-reset", "/delete-user", "/list-sessions", "/sign-in/social"]) {
      expect((await post(path, { name: "Renamed", email: "x@example.com", password: "long-enough-password" })).status, path).toBe(404);
    }
    expect(t.deps.db.select().from(user).all().map((u) => u.name)).toEqual(["ada@example.com"]);
    const session = await handleAuthRequest(t.deps, new Request(`${t.origin}/api/auth/get-session`, { headers: { cookie } }), t.auth);
    expect(session.status).toBe(200);
  });

  it("an unknown cookie or a tampered one is nobody", async () => {
    const t = await withAdmin();
    const cookie = cookieOf(await signIn(t, t.password))!;
    const [name, value] = cookie.split("=") as [string, string];
    // Change the token's first character to a different one: a fixed "x" left a token starting with "x" untouched.
    const tampered = `${value.startsWith("x") ? "y" : "x"}${value.slice(1)}`;
    expect(tampered).not.toBe(value);
    expect(await sessionUserOf(t.deps, headersWith(`${name}=${tampered}`), t.wall)).toBeUndefined();
    expect(await sessionUserOf(t.deps, headersWith("pomona.session=made-up"), t.wall)).toBeUndefined();
    t.wall.advance(HOUR);
    expect(await sessionUserOf(t.deps, headersWith(cookie), t.wall)).toBeDefined();
  });
});

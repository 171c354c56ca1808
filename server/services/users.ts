// Admin accounts (Step 6): created by an admin (or `npm run users` on the server) with a generated password
// shown once, never signed up. A role change, a password reset or a deletion ends the person's sessions in
// the same transaction. Pomona always keeps at least one admin.
import { randomBytes } from "node:crypto";

import { and, count, eq, max, ne } from "drizzle-orm";
import { z } from "zod";

import type { Principal } from "@/server/auth/actor";
import { generatePassword, hashPassword } from "@/server/auth/password";
import type { Deps } from "@/server/deps";
import { AppError } from "@/server/errors";
import { recordAdminAction } from "@/server/services/audit";
import type { Tx } from "@/db/client";
import { account, ROLES, session, user, type Role } from "@/db/schema";

export const ZEmail = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email({ message: "Enter a valid email address" }).max(254));
export const ZNewUser = z.object({ email: ZEmail, name: z.string().trim().max(100).default(""), role: z.enum(ROLES) });
export type TNewUser = z.input<typeof ZNewUser>;

type UserDeps = Pick<Deps, "db" | "clock">;

/** Everyone who can sign in, with how many live sessions they have and when they last signed in. */
export function listUsers(deps: Pick<Deps, "db">) {
  return deps.db
    .select({ id: user.id, email: user.email, name: user.name, role: user.role, createdAt: user.createdAt, sessions: count(session.id), lastSignInAt: max(session.createdAt) })
    .from(user)
    .leftJoin(session, eq(session.userId, user.id))
    .groupBy(user.id)
    .orderBy(user.email)
    .all();
}

function findUser(tx: Tx | Deps["db"], id: string) {
  const row = tx.select().from(user).where(eq(user.id, id)).get();
  if (!row) throw new AppError("NOT_FOUND", `No account with id ${id}`);
  return row;
}

function assertAnotherAdmin(tx: Tx, id: string, what: string) {
  const others = tx.select({ n: count() }).from(user).where(and(eq(user.role, "admin"), ne(user.id, id))).get()?.n ?? 0;
  if (others === 0) throw new AppError("CONFLICT", `${what}: Pomona needs at least one admin`);
}

/** Creates an account with a generated password, returned this once (hashing runs before the transaction). */
export async function createUser(deps: UserDeps, input: TNewUser, by: Principal): Promise<{ id: string; email: string; role: Role; password: string }> {
  const fields = ZNewUser.parse(input);
  const password = generatePassword();
  const hash = await hashPassword(password);
  const now = deps.clock.now();
  const id = randomBytes(16).toString("hex");
  deps.db.transaction(
    (tx) => {
      if (tx.select({ id: user.id }).from(user).where(eq(user.email, fields.email)).get()) throw new AppError("CONFLICT", `An account for ${fields.email} already exists`);
      tx.insert(user).values({ id, email: fields.email, name: fields.name || fields.email, role: fields.role, emailVerified: true, createdAt: now, updatedAt: now }).run();
      tx.insert(account).values({ id: randomBytes(16).toString("hex"), accountId: id, providerId: "credential", userId: id, password: hash, createdAt: now, updatedAt: now }).run();
      recordAdminAction(tx, now, by, {
        action: "user.created",
        target: { type: "user", id, name: fields.email },
        summary: `Account ${fields.email} created as ${fields.role}`,
        changes: { email: fields.email, name: fields.name, role: fields.role },
      });
    },
    { behavior: "immediate" },
  );
  return { id, email: fields.email, role: fields.role, password };
}

/** Changes a role; the person's sessions end, so the new role applies from their next sign-in. */
export function setUserRole(deps: UserDeps, input: { id: string; role: Role }, by: Principal) {
  const now = deps.clock.now();
  return deps.db.transaction(
    (tx) => {
      const row = findUser(tx, input.id);
      const changed = row.role !== input.role;
      if (changed && row.role === "admin") assertAnotherAdmin(tx, row.id, `${row.email} cannot stop being an admin`);
      let ended = 0;
      if (changed) {
        tx.update(user).set({ role: input.role, updatedAt: now }).where(eq(user.id, row.id)).run();
        ended = tx.delete(session).where(eq(session.userId, row.id)).run().changes;
      }
      recordAdminAction(tx, now, by, {
        action: "user.role_changed",
        target: { type: "user", id: row.id, name: row.email },
        summary: changed ? `${row.email} is now ${input.role} (${ended} session(s) ended)` : `${row.email} was already ${input.role}`,
        changes: changed ? { role: { from: row.role, to: input.role } } : {},
      });
      return { id: row.id, role: input.role, sessionsEnded: ended };
    },
    { behavior: "immediate" },
  );
}

/** Sets a new generated password, returned this once, and ends the person's sessions. */
export async function resetUserPassword(deps: UserDeps, input: { id: string }, by: Principal): Promise<{ id: string; email: string; password: string }> {
  const target = findUser(deps.db, input.id);
  const password = generatePassword();
  const hash = await hashPassword(password);
  const now = deps.clock.now();
  deps.db.transaction(
    (tx) => {
      const row = findUser(tx, target.id);
      const updated = tx.update(account).set({ password: hash, updatedAt: now }).where(and(eq(account.userId, row.id), eq(account.providerId, "credential"))).run().changes;
      if (updated === 0) tx.insert(account).values({ id: randomBytes(16).toString("hex"), accountId: row.id, providerId: "credential", userId: row.id, password: hash, createdAt: now, updatedAt: now }).run();
      const ended = tx.delete(session).where(eq(session.userId, row.id)).run().changes;
      recordAdminAction(tx, now, by, { action: "user.password_reset", target: { type: "user", id: row.id, name: row.email }, summary: `Password of ${row.email} reset (${ended} session(s) ended)` });
    },
    { behavior: "immediate" },
  );
  return { id: target.id, email: target.email, password };
}

/** Deletes an account and its sessions. Nobody deletes their own account, and the last admin stays. */
export function deleteUser(deps: UserDeps, input: { id: string }, by: Principal) {
  const now = deps.clock.now();
  return deps.db.transaction(
    (tx) => {
      const row = findUser(tx, input.id);
      if (by.kind === "user" && by.id === row.id) throw new AppError("CONFLICT", "You cannot delete your own account");
      if (row.role === "admin") assertAnotherAdmin(tx, row.id, `${row.email} cannot be deleted`);
      tx.delete(user).where(eq(user.id, row.id)).run(); // sessions and the password go with it (ON DELETE CASCADE)
      recordAdminAction(tx, now, by, { action: "user.deleted", target: { type: "user", id: row.id, name: row.email }, summary: `Account ${row.email} deleted`, changes: { email: row.email, role: row.role } });
      return { id: row.id };
    },
    { behavior: "immediate" },
  );
}

/** `npm run users` and the demo: find an account by email. */
export function findUserByEmail(deps: Pick<Deps, "db">, email: string) {
  return deps.db.select().from(user).where(eq(user.email, email.trim().toLowerCase())).get();
}

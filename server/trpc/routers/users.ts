import { z } from "zod";

import { createUser, deleteUser, listUsers, resetUserPassword, setUserRole, ZNewUser } from "@/server/services/users";
import { ROLES } from "@/db/schema";

import { adminProcedure, readProcedure, router } from "../init";

const id = z.string().min(1).max(64);

/** Admin accounts (Settings → Accounts). Passwords are generated and returned once, by create and resetPassword. */
export const usersRouter = router({
  /** Who is calling: the header's name and role, and what the UI may offer. */
  me: readProcedure.query(({ ctx }) => ({ kind: ctx.actor.kind, name: ctx.actor.name, role: ctx.actor.role })),
  list: readProcedure.query(({ ctx }) => listUsers(ctx.deps)),
  create: adminProcedure.input(ZNewUser).mutation(({ ctx, input }) => createUser(ctx.deps, input, ctx.actor)),
  setRole: adminProcedure.input(z.object({ id, role: z.enum(ROLES) })).mutation(({ ctx, input }) => setUserRole(ctx.deps, input, ctx.actor)),
  resetPassword: adminProcedure.input(z.object({ id })).mutation(({ ctx, input }) => resetUserPassword(ctx.deps, input, ctx.actor)),
  delete: adminProcedure.input(z.object({ id })).mutation(({ ctx, input }) => deleteUser(ctx.deps, input, ctx.actor)),
});

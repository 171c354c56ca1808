// The one tRPC instance: procedures, the role seam, and the single map from AppError codes to tRPC codes.
import { initTRPC, TRPCError } from "@trpc/server";
import { ZodError } from "zod";

import { hasRole, type Principal } from "@/server/auth/actor";
import { isAppError, type AppErrorCode } from "@/server/errors";
import { events, type Role } from "@/db/schema";

import type { Context } from "./context";

const TRPC_CODE_OF: Record<AppErrorCode, TRPCError["code"]> = {
  BAD_REQUEST: "BAD_REQUEST",
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "CONFLICT",
  UNAUTHORIZED: "UNAUTHORIZED",
  FORBIDDEN: "FORBIDDEN",
  PRECONDITION_FAILED: "PRECONDITION_FAILED",
  TOO_MANY_REQUESTS: "TOO_MANY_REQUESTS",
};

const t = initTRPC.context<Context>().create({
  errorFormatter({ shape, error }) {
    const fields = error.cause instanceof ZodError ? error.cause.issues.map((i) => ({ path: i.path.join("."), message: i.message })) : undefined;
    return { ...shape, data: { ...shape.data, stack: undefined, fields } };
  },
});

/** Services throw AppError; this turns it into the matching TRPCError (and so the HTTP status). */
const mapAppErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && isAppError(result.error.cause)) {
    const cause = result.error.cause;
    throw new TRPCError({ code: TRPC_CODE_OF[cause.code], message: cause.message, cause });
  }
  return result;
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Open to anyone; what it returns must be guarded by the procedure itself (Self Service's signed links). */
export const publicProcedure = t.procedure.use(mapAppErrors).use(({ ctx, next }) => {
  if (ctx.bearerRejected) throw new TRPCError({ code: "UNAUTHORIZED", message: "The API token is not valid" });
  return next();
});

/** Refusals are security events (ASVS V16.3.2): who tried what, without the input. */
function refuse(ctx: Context, path: string, code: "UNAUTHORIZED" | "FORBIDDEN", message: string): never {
  const who = ctx.actor.kind === "anonymous" ? "anonymous" : `${ctx.actor.name} (${ctx.actor.role})`;
  ctx.deps.db
    .insert(events)
    .values({ at: ctx.deps.clock.now(), category: "security", type: "admin.access_denied", actor: who, message: `${path} refused for ${who}: ${message}`, data: { path, code, ip: ("ip" in ctx.actor && ctx.actor.ip) || null } })
    .run();
  throw new TRPCError({ code, message });
}

/** The caller, if it holds the role: anonymous callers are UNAUTHORIZED, callers below the role FORBIDDEN. */
export function requireRole(ctx: Context, path: string, role: Role): Principal {
  if (ctx.actor.kind === "anonymous") refuse(ctx, path, "UNAUTHORIZED", "Sign in to continue");
  if (!hasRole(ctx.actor, role)) refuse(ctx, path, "FORBIDDEN", `This action needs the ${role} role`);
  return ctx.actor;
}

const withRole = (role: Role) => publicProcedure.use(({ ctx, path, next }) => next({ ctx: { actor: requireRole(ctx, path, role) } }));

/** Reads of fleet state, history and the audit log: admins and auditors (reliability-security.md §4). */
export const readProcedure = withRole("auditor");

/** Every change: admins only. */
export const adminProcedure = withRole("admin");

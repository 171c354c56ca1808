// The one tRPC instance: procedures, the role seam, and the single map from AppError codes to tRPC codes.
import { initTRPC, TRPCError } from "@trpc/server";
import { ZodError } from "zod";

import { isAppError, type AppErrorCode } from "@/server/errors";

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

export const publicProcedure = t.procedure.use(mapAppErrors).use(({ ctx, next }) => {
  if (ctx.bearerRejected) throw new TRPCError({ code: "UNAUTHORIZED", message: "The API token is not valid" });
  return next();
});

/**
 * Procedures that change or reveal fleet state. Until admin sign-in lands (Step 6), an anonymous caller on
 * the local dashboard acts as the admin; a caller presenting a token must present a valid one.
 */
export const adminProcedure = publicProcedure.use(({ ctx, next }) => {
  if (ctx.actor.kind === "token" && ctx.actor.role !== "admin") throw new TRPCError({ code: "FORBIDDEN", message: "This action needs the admin role" });
  return next();
});

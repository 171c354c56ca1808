import { z } from "zod";

import { listSelfService, requestSelfServiceInstall } from "@/server/services/self-service";
import { assertSelfServiceSignature, getSelfServiceComputer, getSelfServiceLink } from "@/server/services/self-service-links";
import type { Role } from "@/db/schema";

import { adminProcedure, publicProcedure, requireRole, router } from "../init";

const computerId = z.number().int().positive();

/**
 * The end user's procedures. With `signature` (the signed link of selfService.link) they need no account and
 * are FORBIDDEN when it does not match the computer; the caller acts as "end user". Without it they are
 * IT staff's view of the same page and need a role like any other procedure.
 */
const selfServiceProcedure = (role: Role) =>
  publicProcedure.input(z.object({ computerId, signature: z.string().min(1).max(256).optional() })).use(({ ctx, input, path, next }) => {
    if (input.signature !== undefined) {
      assertSelfServiceSignature(ctx.deps, input.computerId, input.signature);
      return next({ ctx: { requester: "end user" as const } });
    }
    return next({ ctx: { requester: requireRole(ctx, path, role) } });
  });

export const selfServiceRouter = router({
  available: selfServiceProcedure("auditor").query(({ ctx, input }) => listSelfService(ctx.deps, input)),
  install: selfServiceProcedure("admin")
    .input(z.object({ deploymentId: z.number().int().positive() }))
    .mutation(({ ctx, input }) => requestSelfServiceInstall(ctx.deps, { computerId: input.computerId, deploymentId: input.deploymentId }, ctx.requester)),
  computer: selfServiceProcedure("auditor").query(({ ctx, input }) => getSelfServiceComputer(ctx.deps, input.computerId)),
  // A signed link lets whoever holds it install on that Mac: an admin power, though it is a query.
  link: adminProcedure.input(z.object({ computerId })).query(({ ctx, input }) => getSelfServiceLink(ctx.deps, input.computerId)),
});

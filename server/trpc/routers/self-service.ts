import { TRPCError } from "@trpc/server";
import { z } from "zod";

import { listSelfService, requestSelfServiceInstall } from "@/server/services/self-service";
import { assertSelfServiceSignature, getSelfServiceComputer, getSelfServiceLink } from "@/server/services/self-service-links";

import { actorName } from "../context";
import { adminProcedure, publicProcedure, router } from "../init";

const computerId = z.number().int().positive();

/**
 * The end user's procedures. With `signature` (the signed link of selfService.link) they need no admin rights
 * and are FORBIDDEN when it does not match the computer; the caller acts as "end user". Without it they keep
 * adminProcedure's check exactly: an anonymous caller is the local admin until sign-in lands (Step 6), a token
 * must carry the admin role.
 */
const selfServiceProcedure = publicProcedure
  .input(z.object({ computerId, signature: z.string().min(1).max(256).optional() }))
  .use(({ ctx, input, next }) => {
    if (input.signature !== undefined) {
      assertSelfServiceSignature(ctx.deps, input.computerId, input.signature);
      return next({ ctx: { selfServiceActor: "end user" } });
    }
    if (ctx.actor.kind === "token" && ctx.actor.role !== "admin") throw new TRPCError({ code: "FORBIDDEN", message: "This action needs the admin role" });
    return next({ ctx: { selfServiceActor: actorName(ctx.actor) } });
  });

export const selfServiceRouter = router({
  available: selfServiceProcedure.query(({ ctx, input }) => listSelfService(ctx.deps, input)),
  install: selfServiceProcedure
    .input(z.object({ deploymentId: z.number().int().positive() }))
    .mutation(({ ctx, input }) => requestSelfServiceInstall(ctx.deps, { computerId: input.computerId, deploymentId: input.deploymentId }, ctx.selfServiceActor)),
  computer: selfServiceProcedure.query(({ ctx, input }) => getSelfServiceComputer(ctx.deps, input.computerId)),
  link: adminProcedure.input(z.object({ computerId })).query(({ ctx, input }) => getSelfServiceLink(ctx.deps, input.computerId)),
});

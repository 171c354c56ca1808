import { z } from "zod";

import { listSelfService, requestSelfServiceInstall } from "@/server/services/self-service";

import { actorName } from "../context";
import { adminProcedure, router } from "../init";

// The end-user pages reach these through a signed per-computer link (Step 5); until then they need the admin role.
export const selfServiceRouter = router({
  available: adminProcedure.input(z.object({ computerId: z.number().int().positive() })).query(({ ctx, input }) => listSelfService(ctx.deps, input)),
  install: adminProcedure
    .input(z.object({ computerId: z.number().int().positive(), deploymentId: z.number().int().positive() }))
    .mutation(({ ctx, input }) => requestSelfServiceInstall(ctx.deps, input, actorName(ctx.actor))),
});

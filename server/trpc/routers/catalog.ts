import { z } from "zod";

import { getCatalogTitle, listCatalog, syncCatalog } from "@/server/services/catalog";

import { actorName } from "../context";
import { adminProcedure, router } from "../init";

export const catalogRouter = router({
  list: adminProcedure.query(({ ctx }) => listCatalog(ctx.deps)),
  get: adminProcedure.input(z.object({ id: z.number().int().positive() })).query(({ ctx, input }) => getCatalogTitle(ctx.deps, input.id)),
  sync: adminProcedure.mutation(({ ctx }) => syncCatalog(ctx.deps, { actor: actorName(ctx.actor) })),
});

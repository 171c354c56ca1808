import { z } from "zod";

import { getCatalogTitle, listCatalog, syncCatalog } from "@/server/services/catalog";

import { adminProcedure, readProcedure, router } from "../init";

export const catalogRouter = router({
  list: readProcedure.query(({ ctx }) => listCatalog(ctx.deps)),
  get: readProcedure.input(z.object({ id: z.number().int().positive() })).query(({ ctx, input }) => getCatalogTitle(ctx.deps, input.id)),
  sync: adminProcedure.mutation(({ ctx }) => syncCatalog(ctx.deps, { by: ctx.actor })),
});

import { z } from "zod";

import { getComputer, getComputerHistory, listComputers } from "@/server/services/computers";

import { adminProcedure, router } from "../init";

export const computersRouter = router({
  list: adminProcedure
    .input(
      z
        .object({
          search: z.string().max(200).optional(),
          page: z.number().int().min(1).optional(),
          pageSize: z.number().int().min(1).max(500).optional(),
        })
        .optional(),
    )
    .query(({ ctx, input }) => listComputers(ctx.deps, input)),
  get: adminProcedure
    .input(z.union([z.object({ id: z.number().int().positive() }), z.object({ udid: z.string().min(1).max(128) })]))
    .query(({ ctx, input }) => getComputer(ctx.deps, input)),
  history: adminProcedure
    .input(z.object({ id: z.number().int().positive(), limit: z.number().int().min(1).max(5000).optional() }))
    .query(({ ctx, input }) => getComputerHistory(ctx.deps, input)),
});

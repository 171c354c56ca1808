import { z } from "zod";

import { cancelComputerCommand, updateComputerInventory } from "@/server/services/computer-commands";
import { getComputer, getComputerHistory, listComputers } from "@/server/services/computers";

import { adminProcedure, readProcedure, router } from "../init";

export const computersRouter = router({
  list: readProcedure
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
  get: readProcedure
    .input(z.union([z.object({ id: z.number().int().positive() }), z.object({ udid: z.string().min(1).max(128) })]))
    .query(({ ctx, input }) => getComputer(ctx.deps, input)),
  history: readProcedure
    .input(z.object({ id: z.number().int().positive(), limit: z.number().int().min(1).max(5000).optional() }))
    .query(({ ctx, input }) => getComputerHistory(ctx.deps, input)),
  cancelCommand: adminProcedure
    .input(z.object({ uuid: z.string().min(1).max(128) }))
    .mutation(({ ctx, input }) => cancelComputerCommand(ctx.deps, input, ctx.actor)),
  updateInventory: adminProcedure.input(z.object({ id: z.number().int().positive() })).mutation(({ ctx, input }) => updateComputerInventory(ctx.deps, input, ctx.actor)),
});

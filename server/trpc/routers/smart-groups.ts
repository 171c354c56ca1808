import { z } from "zod";

import {
  createSmartGroup,
  deleteSmartGroup,
  getSmartGroup,
  listSmartGroupMembers,
  listSmartGroups,
  previewSmartGroup,
  updateSmartGroup,
} from "@/server/services/smart-groups";

import { adminProcedure, readProcedure, router } from "../init";

/** DESIGN §2.1 criteria as the API accepts them: field and operator are checked by the service, with readable errors. */
export const ZSmartGroupCriteria = z
  .array(
    z.object({
      joiner: z.enum(["and", "or"]).optional(),
      openParen: z.boolean().optional(),
      field: z.string().max(64),
      operator: z.string().max(64),
      value: z.string().max(1024),
      closeParen: z.boolean().optional(),
    }),
  )
  .max(50);
export type TSmartGroupCriteria = z.infer<typeof ZSmartGroupCriteria>;

const id = z.number().int().positive();
const name = z.string().max(255);
const description = z.string().max(2000);

export const smartGroupsRouter = router({
  list: readProcedure.query(({ ctx }) => listSmartGroups(ctx.deps)),
  get: readProcedure.input(z.object({ id })).query(({ ctx, input }) => getSmartGroup(ctx.deps, input.id)),
  create: adminProcedure
    .input(z.object({ name, description: description.optional(), criteria: ZSmartGroupCriteria }))
    .mutation(({ ctx, input }) => createSmartGroup(ctx.deps, input, ctx.actor)),
  update: adminProcedure
    .input(z.object({ id, name: name.optional(), description: description.optional(), criteria: ZSmartGroupCriteria.optional() }))
    .mutation(({ ctx, input }) => updateSmartGroup(ctx.deps, input, ctx.actor)),
  delete: adminProcedure.input(z.object({ id })).mutation(({ ctx, input }) => deleteSmartGroup(ctx.deps, input, ctx.actor)),
  preview: readProcedure
    .input(z.object({ criteria: ZSmartGroupCriteria, id: id.optional(), sampleSize: z.number().int().min(0).max(100).optional() }))
    .query(({ ctx, input }) => previewSmartGroup(ctx.deps, { criteria: input.criteria, id: input.id }, { sampleSize: input.sampleSize })),
  members: readProcedure
    .input(z.object({ id, page: z.number().int().min(1).optional(), pageSize: z.number().int().min(1).max(500).optional() }))
    .query(({ ctx, input }) => listSmartGroupMembers(ctx.deps, input)),
});

import { z } from "zod";

import { auditFacets, listAuditLog } from "@/server/services/audit";

import { readProcedure, router } from "../init";

/** The Audit Log page: read-only by construction (the table refuses UPDATE and DELETE). */
export const auditRouter = router({
  list: readProcedure
    .input(
      z.object({
        actor: z.string().max(254).optional(),
        action: z.string().max(100).optional(),
        targetType: z.string().max(100).optional(),
        search: z.string().max(200).optional(),
        from: z.iso.datetime().optional(),
        to: z.iso.datetime().optional(),
        page: z.number().int().min(1).optional(),
        pageSize: z.number().int().min(1).max(500).optional(),
      }),
    )
    .query(({ ctx, input }) => listAuditLog(ctx.deps, { ...input, from: input.from ? new Date(input.from) : undefined, to: input.to ? new Date(input.to) : undefined })),
  facets: readProcedure.query(({ ctx }) => auditFacets(ctx.deps)),
});

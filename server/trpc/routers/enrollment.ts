import { z } from "zod";

import { createEnrollmentToken, listEnrollmentTokens, revokeEnrollmentToken } from "@/server/services/enrollment";

import { adminProcedure, readProcedure, router } from "../init";

export const enrollmentRouter = router({
  createToken: adminProcedure
    .input(z.object({ label: z.string().max(200).optional(), expiresAt: z.iso.datetime().optional() }))
    .mutation(({ ctx, input }) =>
      createEnrollmentToken(ctx.deps, { label: input.label, expiresAt: input.expiresAt === undefined ? undefined : new Date(input.expiresAt) }, ctx.actor),
    ),
  listTokens: readProcedure.query(({ ctx }) => listEnrollmentTokens(ctx.deps)),
  revokeToken: adminProcedure.input(z.object({ id: z.number().int().positive() })).mutation(({ ctx, input }) => revokeEnrollmentToken(ctx.deps, input, ctx.actor)),
});

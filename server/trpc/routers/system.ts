import { z } from "zod";

import { DAY } from "@/server/clock";
import { createApiToken, listApiTokens, revokeApiToken } from "@/server/services/api-tokens";
import { getPushCertificate, installPushCertificate } from "@/server/services/push-certificate";
import { getSettings, updateSettings, ZSettingsUpdate } from "@/server/services/settings";
import { describeClock, tickSimulatedClock } from "@/server/services/system";
import { ROLES } from "@/db/schema";

import { adminProcedure, readProcedure, router } from "../init";

export const systemRouter = router({
  settings: readProcedure.query(({ ctx }) => ({ ...getSettings(ctx.deps), clock: describeClock(ctx.deps) })),
  updateSettings: adminProcedure.input(ZSettingsUpdate).mutation(({ ctx, input }) => updateSettings(ctx.deps, input, ctx.actor)),
  tick: adminProcedure
    .input(z.object({ advanceMs: z.number().int().min(0).max(365 * DAY) }))
    .mutation(({ ctx, input }) => tickSimulatedClock(ctx.deps, input.advanceMs, ctx.actor)),
  pushCertificate: readProcedure.query(({ ctx }) => getPushCertificate(ctx.deps)),
  uploadPushCertificate: adminProcedure
    .input(z.object({ certificatePem: z.string().max(20000), privateKeyPem: z.string().max(20000) }))
    .mutation(({ ctx, input }) => installPushCertificate(ctx.deps, input, ctx.actor)),
  apiTokens: readProcedure.query(({ ctx }) => listApiTokens(ctx.deps)),
  createApiToken: adminProcedure
    .input(z.object({ label: z.string().trim().min(1).max(200), role: z.enum(ROLES) }))
    .mutation(({ ctx, input }) => createApiToken(ctx.deps, input, ctx.actor)),
  revokeApiToken: adminProcedure.input(z.object({ id: z.number().int().positive() })).mutation(({ ctx, input }) => revokeApiToken(ctx.deps, input, ctx.actor)),
});

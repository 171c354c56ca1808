import { z } from "zod";

import { DAY } from "@/server/clock";
import { getPushCertificate, installPushCertificate } from "@/server/services/push-certificate";
import { getSettings, updateSettings, ZSettingsUpdate } from "@/server/services/settings";
import { describeClock, tickSimulatedClock } from "@/server/services/system";

import { actorName } from "../context";
import { adminProcedure, router } from "../init";

export const systemRouter = router({
  settings: adminProcedure.query(({ ctx }) => ({ ...getSettings(ctx.deps), clock: describeClock(ctx.deps) })),
  updateSettings: adminProcedure.input(ZSettingsUpdate).mutation(({ ctx, input }) => updateSettings(ctx.deps, input, actorName(ctx.actor))),
  tick: adminProcedure
    .input(z.object({ advanceMs: z.number().int().min(0).max(365 * DAY) }))
    .mutation(({ ctx, input }) => tickSimulatedClock(ctx.deps, input.advanceMs)),
  pushCertificate: adminProcedure.query(({ ctx }) => getPushCertificate(ctx.deps)),
  uploadPushCertificate: adminProcedure
    .input(z.object({ certificatePem: z.string().max(20000), privateKeyPem: z.string().max(20000) }))
    .mutation(({ ctx, input }) => installPushCertificate(ctx.deps, input, actorName(ctx.actor))),
});

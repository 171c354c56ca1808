import { z } from "zod";

import { getDashboard } from "@/server/services/dashboard";
import { listDeploymentActivity } from "@/server/services/deployment-activity";
import {
  createDeployment,
  getDeployment,
  listDeploymentEvents,
  listDeployments,
  listDeploymentTargets,
  mergeDeploymentUpdate,
  previewDeployment,
  retryFailedTargets,
  setDeploymentEnabled,
  updateDeployment,
  ZDeploymentFields,
  ZUpdateDeploymentInput,
} from "@/server/services/deployments";
import { TARGET_STATUSES } from "@/db/schema";

import { adminProcedure, readProcedure, router } from "../init";

const id = z.object({ id: z.number().int().positive() });

export const deploymentsRouter = router({
  // A change answers once it is in effect; the page shows the pass behind it.
  create: adminProcedure.input(ZDeploymentFields).mutation(({ ctx, input }) => createDeployment(ctx.deps, input, ctx.actor, "commit")),
  update: adminProcedure.input(ZUpdateDeploymentInput).mutation(({ ctx, input }) => updateDeployment(ctx.deps, input, ctx.actor, "commit")),
  setEnabled: adminProcedure
    .input(z.object({ id: z.number().int().positive(), enabled: z.boolean() }))
    .mutation(({ ctx, input }) => setDeploymentEnabled(ctx.deps, input, ctx.actor, "commit")),
  retryFailed: adminProcedure
    .input(z.object({ id: z.number().int().positive(), computerIds: z.array(z.number().int().positive()).max(10_000).optional() }))
    .mutation(({ ctx, input }) => retryFailedTargets(ctx.deps, input, ctx.actor)),
  list: readProcedure.query(({ ctx }) => listDeployments(ctx.deps)),
  get: readProcedure.input(id).query(({ ctx, input }) => getDeployment(ctx.deps, input.id)),
  targets: readProcedure
    .input(
      z.object({
        id: z.number().int().positive(),
        status: z.enum(TARGET_STATUSES).optional(),
        page: z.number().int().min(1).optional(),
        pageSize: z.number().int().min(1).max(1000).optional(),
      }),
    )
    .query(({ ctx, input }) => listDeploymentTargets(ctx.deps, input)),
  preview: readProcedure.input(ZDeploymentFields).query(({ ctx, input }) => previewDeployment(ctx.deps, input)),
  /** The dry run of an edit: like preview, with the stored App Installer replaced by the edited fields. */
  previewUpdate: readProcedure.input(ZUpdateDeploymentInput).query(({ ctx, input }) => previewDeployment(ctx.deps, mergeDeploymentUpdate(ctx.deps, input), { id: input.id })),
  /** The dashboard: fleet counts, every App Installer's status counts, the newest failures. */
  dashboard: readProcedure.query(({ ctx }) => getDashboard(ctx.deps)),
  /** The App Installer page's timeline: events with the computer's name. */
  activity: readProcedure.input(id.extend({ limit: z.number().int().min(1).max(500).optional() })).query(({ ctx, input }) => listDeploymentActivity(ctx.deps, input)),
  events: readProcedure.input(id.extend({ limit: z.number().int().min(1).max(1000).optional() })).query(({ ctx, input }) => listDeploymentEvents(ctx.deps, input)),
});

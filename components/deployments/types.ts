import type { inferRouterOutputs } from "@trpc/server";

import type { AppRouter } from "@/server/trpc/root";

type Outputs = inferRouterOutputs<AppRouter>;

export type DeploymentSummary = Outputs["deployments"]["list"][number];
export type DeploymentData = Outputs["deployments"]["get"];
export type StatusCounts = DeploymentData["counts"];
export type TargetRow = Outputs["deployments"]["targets"]["items"][number];
export type PreviewResult = Outputs["deployments"]["preview"];
export type PreviewOutcome = keyof PreviewResult["outcomes"];
export type CatalogTitleOption = Outputs["catalog"]["list"][number];
export type SmartGroupOption = Outputs["smartGroups"]["list"][number];
export type DistributionMethod = DeploymentData["distributionMethod"];
export type UpdateMethod = DeploymentData["updateMethod"];

export const DISTRIBUTION_LABELS: Record<DistributionMethod, string> = {
  install_automatically: "Install automatically",
  self_service: "Make available in Self Service",
};

export const UPDATE_LABELS: Record<UpdateMethod, string> = { automatic: "Automatic", manual: "Manual" };

export const TARGETS_PAGE_SIZE = 50;

import type { Metadata } from "next";
import { notFound } from "next/navigation";

import { TRPCError } from "@trpc/server";

import { DeploymentForm } from "@/components/deployments/deployment-form";
import { PageHeader } from "@/components/ui/card";

import { api, wire } from "../../../../_trpc/server";

export const metadata: Metadata = { title: "Edit App Installer" };

export default async function EditDeploymentPage({ params }: { params: Promise<{ id: string }> }) {
  const id = Number((await params).id);
  if (!Number.isSafeInteger(id) || id < 1) notFound();
  const deployment = await api()
    .deployments.get({ id })
    .catch((e: unknown) => {
      if (e instanceof TRPCError && e.code === "NOT_FOUND") notFound();
      throw e;
    });
  const [titles, groups] = await Promise.all([api().catalog.list(), api().smartGroups.list()]);
  return (
    <>
      <PageHeader title={`Edit ${deployment.name}`} description="Changes take effect at once; the preview shows what saving would do." />
      <DeploymentForm
        mode="edit"
        deploymentId={deployment.id}
        titles={wire(titles)}
        groups={wire(groups)}
        initial={{
          name: deployment.name,
          titleId: deployment.titleId,
          smartGroupId: deployment.smartGroupId,
          distributionMethod: deployment.distributionMethod,
          updateMethod: deployment.updateMethod,
          version: deployment.version ?? "",
          installSupportingProfiles: deployment.installSupportingProfiles,
          enabled: deployment.enabled,
          category: deployment.selfServiceCategory ?? "",
          description: deployment.selfServiceDescription ?? "",
        }}
      />
    </>
  );
}

import type { Metadata } from "next";

import { DeploymentForm } from "@/components/deployments/deployment-form";
import { PageHeader } from "@/components/ui/card";

import { api, wire } from "../../../_trpc/server";

export const metadata: Metadata = { title: "New App Installer" };

export default async function NewDeploymentPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { titleId: rawTitleId } = await searchParams;
  const [titles, groups] = await Promise.all([api().catalog.list(), api().smartGroups.list()]);
  const title = titles.find((t) => String(t.id) === rawTitleId);
  return (
    <>
      <PageHeader title="New App Installer" description="Deploy a catalog title to a smart group. The preview shows what would happen before anything is saved." />
      <DeploymentForm
        mode="create"
        titles={wire(titles)}
        groups={wire(groups)}
        initial={{
          name: title?.name ?? "",
          titleId: title?.id ?? null,
          smartGroupId: null,
          distributionMethod: "install_automatically",
          updateMethod: "automatic",
          version: "",
          installSupportingProfiles: false,
          enabled: true,
          category: "",
          description: "",
        }}
      />
    </>
  );
}

import type { Metadata } from "next";
import Link from "next/link";

import { EditLink } from "@/components/auth/edit-controls";
import { DeploymentsTable } from "@/components/deployments/deployments-table";
import { buttonVariants } from "@/components/ui/button";
import { EmptyState, PageHeader } from "@/components/ui/card";

import { api, wire } from "../../_trpc/server";

export const metadata: Metadata = { title: "App Installers" };

export default async function DeploymentsPage() {
  const deployments = wire(await api().deployments.list());
  return (
    <>
      <PageHeader title="App Installers" description="Deploy a catalog title to a smart group, automatically or through Self Service.">
        <EditLink href="/deployments/new" className={buttonVariants()}>
          New App Installer
        </EditLink>
      </PageHeader>
      {deployments.length === 0 ? (
        <EmptyState title="No App Installers yet">
          Create one here, or pick a title in the <Link href="/catalog" className="text-brand-700 underline">App Catalog</Link>.
        </EmptyState>
      ) : (
        <DeploymentsTable deployments={deployments} />
      )}
    </>
  );
}

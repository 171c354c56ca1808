import type { Metadata } from "next";

import { EmptyState, PageHeader } from "@/components/ui/card";

export const metadata: Metadata = { title: "App Installers" };

export default function DeploymentsPage() {
  return (
    <>
      <PageHeader title="App Installers" description="Deploy a catalog title to a smart group, automatically or through Self Service." />
      <EmptyState title="No App Installers yet">Creating App Installers arrives with the deployment engine.</EmptyState>
    </>
  );
}

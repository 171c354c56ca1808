import type { Metadata } from "next";

import { EmptyState, PageHeader } from "@/components/ui/card";

export const metadata: Metadata = { title: "Smart Groups" };

export default function SmartGroupsPage() {
  return (
    <>
      <PageHeader title="Smart Groups" description="Groups of computers defined by inventory criteria." />
      <EmptyState title="No smart groups yet">The smart group editor arrives with the deployment engine.</EmptyState>
    </>
  );
}

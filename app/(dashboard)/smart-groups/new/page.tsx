import type { Metadata } from "next";
import Link from "next/link";

import { SmartGroupEditor } from "@/components/smart-groups/smart-group-editor";
import { PageHeader } from "@/components/ui/card";

import { api } from "../../../_trpc/server";

export const metadata: Metadata = { title: "New smart group" };

export default async function NewSmartGroupPage() {
  const groups = await api().smartGroups.list();
  return (
    <>
      <nav aria-label="Breadcrumb" className="mb-2 text-sm text-muted">
        <Link href="/smart-groups" className="hover:text-ink hover:underline">
          Smart Groups
        </Link>
        <span aria-hidden> / </span>
      </nav>
      <PageHeader title="New smart group" description="Members are recalculated whenever a computer's inventory changes." />
      <SmartGroupEditor groupNames={groups.map((g) => g.name)} />
    </>
  );
}

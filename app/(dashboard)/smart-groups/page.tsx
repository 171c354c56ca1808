import type { Metadata } from "next";
import Link from "next/link";

import { EditLink } from "@/components/auth/edit-controls";
import { buttonVariants } from "@/components/ui/button";
import { EmptyState, PageHeader } from "@/components/ui/card";
import { LocalTime } from "@/components/ui/format";
import { Table, Td, Th } from "@/components/ui/table";

import { api } from "../../_trpc/server";

export const metadata: Metadata = { title: "Smart Groups" };

export default async function SmartGroupsPage() {
  const groups = await api().smartGroups.list();
  return (
    <>
      <PageHeader title="Smart Groups" description="Groups of computers defined by inventory criteria, recalculated as inventory changes.">
        <EditLink href="/smart-groups/new" className={buttonVariants()}>
          New smart group
        </EditLink>
      </PageHeader>
      {groups.length === 0 ? (
        <EmptyState title="No smart groups yet">
          Smart groups choose which computers an App Installer targets.{" "}
          <EditLink href="/smart-groups/new" className="font-medium text-brand-700 hover:underline">
            Create the first one
          </EditLink>
          .
        </EmptyState>
      ) : (
        <Table aria-label="Smart groups">
          <thead>
            <tr>
              <Th>Name</Th>
              <Th>Description</Th>
              <Th className="text-right">Criteria</Th>
              <Th className="text-right">Members</Th>
              <Th>Last calculated</Th>
            </tr>
          </thead>
          <tbody>
            {groups.map((g) => (
              <tr key={g.id} className="hover:bg-canvas/60">
                <Td className="font-medium">
                  <Link href={`/smart-groups/${g.id}`} className="text-brand-700 hover:underline">
                    {g.name}
                  </Link>
                </Td>
                <Td className="max-w-md text-muted">{g.description || "—"}</Td>
                <Td className="text-right tabular-nums">{g.criteriaCount}</Td>
                <Td className="text-right font-medium tabular-nums">{g.memberCount.toLocaleString()}</Td>
                <Td className="whitespace-nowrap">
                  <LocalTime value={g.lastCalculatedAt} />
                </Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </>
  );
}

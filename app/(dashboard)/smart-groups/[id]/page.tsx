import { cache } from "react";

import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";

import { TRPCError } from "@trpc/server";

import { SmartGroupEditor } from "@/components/smart-groups/smart-group-editor";
import { PageHeader } from "@/components/ui/card";
import { LocalTime } from "@/components/ui/format";

import { api, wire } from "../../../_trpc/server";

const loadGroup = cache(async (raw: string) => {
  const id = Number(raw);
  if (!Number.isSafeInteger(id) || id <= 0) notFound();
  try {
    return await api().smartGroups.get({ id });
  } catch (e) {
    if (e instanceof TRPCError && e.code === "NOT_FOUND") notFound();
    throw e;
  }
});

export async function generateMetadata({ params }: { params: Promise<{ id: string }> }): Promise<Metadata> {
  return { title: (await loadGroup((await params).id)).name };
}

export default async function SmartGroupPage({ params }: { params: Promise<{ id: string }> }) {
  const group = wire(await loadGroup((await params).id));
  const groups = await api().smartGroups.list();
  return (
    <>
      <nav aria-label="Breadcrumb" className="mb-2 text-sm text-muted">
        <Link href="/smart-groups" className="hover:text-ink hover:underline">
          Smart Groups
        </Link>
        <span aria-hidden> / </span>
      </nav>
      <PageHeader
        title={group.name}
        description={`${group.memberCount.toLocaleString()} ${group.memberCount === 1 ? "member" : "members"}${group.usedBy.length > 0 ? ` · targeted by ${group.usedBy.length} App ${group.usedBy.length === 1 ? "Installer" : "Installers"}` : ""}`}
      />
      {group.usedBy.length > 0 || group.lastCalculatedAt ? (
        <div className="-mt-3 mb-6 flex flex-wrap items-center gap-x-4 gap-y-1 text-sm text-muted">
          {group.lastCalculatedAt ? (
            <span>
              Last calculated <LocalTime value={group.lastCalculatedAt} />
            </span>
          ) : null}
          {group.usedBy.length > 0 ? (
            <span>
              Used by{" "}
              {group.usedBy.map((d, i) => (
                <span key={d.deploymentId}>
                  {i > 0 ? ", " : null}
                  <Link href={`/deployments/${d.deploymentId}`} className="font-medium text-brand-700 hover:underline">
                    {d.name}
                  </Link>
                </span>
              ))}
            </span>
          ) : null}
        </div>
      ) : null}
      <SmartGroupEditor group={group} groupNames={groups.filter((g) => g.id !== group.id).map((g) => g.name)} />
    </>
  );
}

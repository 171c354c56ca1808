import { cache } from "react";

import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";

import { TRPCError } from "@trpc/server";

import { ComputerDeployments, ComputerGeneral, ComputerGroups } from "@/components/computers/computer-summary";
import { EventTimeline } from "@/components/computers/event-timeline";
import { InstalledApps } from "@/components/computers/installed-apps";
import { ManagementHistory } from "@/components/computers/management-history";
import { UpdateInventoryButton } from "@/components/computers/update-inventory-button";
import { PageHeader } from "@/components/ui/card";

import { api, wire } from "../../../_trpc/server";

const loadComputer = cache(async (raw: string) => {
  const id = Number(raw);
  if (!Number.isSafeInteger(id) || id <= 0) notFound();
  try {
    return await api().computers.get({ id });
  } catch (e) {
    if (e instanceof TRPCError && e.code === "NOT_FOUND") notFound();
    throw e;
  }
});

export async function generateMetadata({ params }: { params: Promise<{ id: string }> }): Promise<Metadata> {
  const computer = await loadComputer((await params).id);
  return { title: computer.name || computer.udid };
}

export default async function ComputerPage({ params }: { params: Promise<{ id: string }> }) {
  const computer = wire(await loadComputer((await params).id));
  const history = wire(await api().computers.history({ id: computer.id }));
  const subtitle = [computer.serialNumber, computer.modelName ?? computer.model, computer.osVersion ? `macOS ${computer.osVersion}` : null].filter(Boolean).join(" · ");

  return (
    <>
      <nav aria-label="Breadcrumb" className="mb-2 text-sm text-muted">
        <Link href="/computers" className="hover:text-ink hover:underline">
          Computers
        </Link>
        <span aria-hidden> / </span>
      </nav>
      <PageHeader title={computer.name || computer.udid} description={subtitle || undefined}>
        <UpdateInventoryButton computerId={computer.id} enrolled={computer.enrolled} />
      </PageHeader>
      <div className="space-y-8">
        <div className="grid gap-6 lg:grid-cols-3">
          <ComputerGeneral initial={computer} />
          <ComputerGroups initial={computer} />
        </div>
        <InstalledApps initial={computer} />
        <ComputerDeployments initial={computer} />
        <ManagementHistory computerId={computer.id} initial={history} />
        <EventTimeline computerId={computer.id} initial={history} />
      </div>
    </>
  );
}

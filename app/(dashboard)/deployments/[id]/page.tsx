import type { Metadata } from "next";
import { notFound } from "next/navigation";

import { TRPCError } from "@trpc/server";

import { DeploymentDetail } from "@/components/deployments/deployment-detail";
import { TARGETS_PAGE_SIZE } from "@/components/deployments/types";

import { api, wire } from "../../../_trpc/server";

type Props = { params: Promise<{ id: string }> };

async function load(rawId: string) {
  const id = Number(rawId);
  if (!Number.isSafeInteger(id) || id < 1) notFound();
  return api()
    .deployments.get({ id })
    .catch((e: unknown) => {
      if (e instanceof TRPCError && e.code === "NOT_FOUND") notFound();
      throw e;
    });
}

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const deployment = await load((await params).id);
  return { title: deployment.name };
}

export default async function DeploymentPage({ params }: Props) {
  const deployment = await load((await params).id);
  const targets = await api().deployments.targets({ id: deployment.id, page: 1, pageSize: TARGETS_PAGE_SIZE });
  return <DeploymentDetail initial={wire(deployment)} initialTargets={wire(targets)} />;
}

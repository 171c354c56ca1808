import type { Metadata } from "next";

import { TRPCError } from "@trpc/server";

import { SelfServiceList } from "@/components/self-service/self-service-list";

import { api, wire } from "../../../_trpc/server";

export const metadata: Metadata = { title: "Apps for your Mac" };

type Props = { params: Promise<{ computerId: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> };

function InvalidLink() {
  return (
    <div role="alert" className="rounded-lg border border-line bg-surface px-6 py-10 text-center">
      <h1 className="text-xl font-semibold">This Self Service link is not valid</h1>
      <p className="mt-2 text-sm text-muted">Open the Self Service link your IT team sent for this Mac, or ask them for a new one.</p>
    </div>
  );
}

export default async function SelfServicePage({ params, searchParams }: Props) {
  const computerId = Number((await params).computerId);
  const { sig } = await searchParams;
  if (!Number.isSafeInteger(computerId) || computerId < 1 || typeof sig !== "string" || sig === "") return <InvalidLink />;
  try {
    const computer = await api().selfService.computer({ computerId, signature: sig });
    const items = await api().selfService.available({ computerId, signature: sig });
    return (
      <>
        <div className="mb-6">
          <h1 className="text-2xl font-semibold tracking-tight">Apps for {computer.name || "your Mac"}</h1>
          <p className="mt-1 text-sm text-muted">Install the apps your IT team offers for this Mac. Installs run in the background; this page updates by itself.</p>
        </div>
        <SelfServiceList computerId={computerId} signature={sig} initial={wire(items)} />
      </>
    );
  } catch (e) {
    if (e instanceof TRPCError && (e.code === "FORBIDDEN" || e.code === "NOT_FOUND")) return <InvalidLink />;
    throw e;
  }
}

"use client";

import Link from "next/link";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { useTRPC } from "@/app/_trpc/client";
import { EditButton, EditLink } from "@/components/auth/edit-controls";
import { buttonVariants } from "@/components/ui/button";
import { Card, PageHeader } from "@/components/ui/card";
import { LocalTime } from "@/components/ui/format";

import { EnabledBadge } from "./deployments-table";
import { StatusDonut, StatusLegend } from "./status-chart";
import { TargetsTable } from "./targets-table";
import { DISTRIBUTION_LABELS, UPDATE_LABELS, type DeploymentData, type TargetRow } from "./types";

const REFRESH_MS = 5000;

export function DeploymentDetail({ initial, initialTargets }: { initial: DeploymentData; initialTargets: { items: TargetRow[]; total: number; page: number; pageSize: number } }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { data: d } = useQuery(trpc.deployments.get.queryOptions({ id: initial.id }, { initialData: initial, refetchInterval: REFRESH_MS }));
  const setEnabled = useMutation(trpc.deployments.setEnabled.mutationOptions({ onSuccess: () => queryClient.invalidateQueries(trpc.deployments.pathFilter()) }));

  return (
    <>
      <PageHeader title={d.name} description={`${d.titleName} · ${DISTRIBUTION_LABELS[d.distributionMethod]} · ${d.smartGroupName}`}>
        <EnabledBadge enabled={d.enabled} />
        <EditLink href={`/deployments/${d.id}/edit`} className={buttonVariants({ variant: "secondary" })}>
          Edit
        </EditLink>
        <EditButton variant={d.enabled ? "secondary" : "primary"} disabled={setEnabled.isPending} onClick={() => setEnabled.mutate({ id: d.id, enabled: !d.enabled })}>
          {d.enabled ? "Disable" : "Enable"}
        </EditButton>
      </PageHeader>
      {setEnabled.error ? (
        <p role="alert" className="mb-4 rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
          {setEnabled.error.message}
        </p>
      ) : null}
      {d.scoping ? (
        <p role="status" className="mb-4 rounded-md border border-sky-200 bg-sky-50 px-3 py-2 text-sm text-sky-900">
          Updating computers for the latest change
          {d.scoping.total ? `: ${d.scoping.visited.toLocaleString("en-US")} of ${d.scoping.total.toLocaleString("en-US")}` : ""}. The change is already in effect: a computer
          not yet counted below gets its status and commands when it checks in.
        </p>
      ) : null}
      {!d.enabled ? (
        <p className="mb-4 rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900">This App Installer is disabled: it sends nothing new to any computer.</p>
      ) : null}

      <div className="mb-6 grid gap-4 lg:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
        <Card className="flex flex-wrap items-center gap-6 p-5">
          <StatusDonut counts={d.counts} />
          <div className="min-w-0 flex-1 space-y-3">
            <h2 className="text-base font-semibold">Status</h2>
            <StatusLegend counts={d.counts} className="flex-col gap-y-2 text-sm" />
          </div>
        </Card>
        <Card className="p-5">
          <h2 className="mb-3 text-base font-semibold">Settings</h2>
          <dl className="grid grid-cols-[max-content_minmax(0,1fr)] gap-x-4 gap-y-1.5 text-sm">
            <dt className="text-muted">Title</dt>
            <dd>
              {d.titleName} <code className="text-xs text-muted">{d.bundleId}</code>
            </dd>
            <dt className="text-muted">Target version</dt>
            <dd className="font-mono text-xs leading-5">{d.targetVersion ?? "—"}</dd>
            <dt className="text-muted">Update method</dt>
            <dd>{d.updateMethod === "manual" ? `${UPDATE_LABELS.manual} (pinned to ${d.version})` : `${UPDATE_LABELS.automatic} (newest version)`}</dd>
            <dt className="text-muted">Smart group</dt>
            <dd>
              <Link href={`/smart-groups/${d.smartGroupId}`} className="text-brand-700 hover:underline">
                {d.smartGroupName}
              </Link>
            </dd>
            <dt className="text-muted">Distribution</dt>
            <dd>{DISTRIBUTION_LABELS[d.distributionMethod]}</dd>
            {d.distributionMethod === "self_service" ? (
              <>
                <dt className="text-muted">Self Service</dt>
                <dd>
                  {d.selfServiceCategory ?? "No category"}
                  {d.selfServiceDescription ? <span className="block text-xs text-muted">{d.selfServiceDescription}</span> : null}
                </dd>
              </>
            ) : null}
            <dt className="text-muted">Supporting profiles</dt>
            <dd>{d.installSupportingProfiles ? "Installed with the app" : "Not installed"}</dd>
            <dt className="text-muted">Last changed</dt>
            <dd>
              <LocalTime value={d.updatedAt} />
            </dd>
          </dl>
        </Card>
      </div>

      <section aria-labelledby="computers-heading" className="mb-8 space-y-3">
        <h2 id="computers-heading" className="text-lg font-semibold">
          Computers
        </h2>
        <TargetsTable deploymentId={d.id} counts={d.counts} initialPage={initialTargets} />
      </section>

      <DeploymentActivity deploymentId={d.id} />
    </>
  );
}

function DeploymentActivity({ deploymentId }: { deploymentId: number }) {
  const trpc = useTRPC();
  const events = useQuery(trpc.deployments.activity.queryOptions({ id: deploymentId, limit: 25 }, { refetchInterval: REFRESH_MS }));
  return (
    <section aria-labelledby="activity-heading" className="space-y-3">
      <h2 id="activity-heading" className="text-lg font-semibold">
        Activity
      </h2>
      <Card className="divide-y divide-line">
        {events.data?.length === 0 ? <p className="px-5 py-4 text-sm text-muted">Nothing yet.</p> : null}
        {events.data?.map((e) => (
          <div key={e.id} className="flex flex-wrap items-baseline gap-x-4 gap-y-0.5 px-5 py-2.5 text-sm">
            <span className="w-40 shrink-0 text-xs whitespace-nowrap text-muted">
              <LocalTime value={e.at} />
            </span>
            <span className="min-w-0 flex-1 break-words">{e.message}</span>
            <span className="text-xs text-muted">
              {e.computerId ? (
                <Link href={`/computers/${e.computerId}`} className="text-brand-700 hover:underline">
                  {e.computerName || `Computer ${e.computerId}`}
                </Link>
              ) : (
                e.actor
              )}
            </span>
          </div>
        ))}
      </Card>
    </section>
  );
}

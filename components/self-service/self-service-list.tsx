"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";

import { useTRPC } from "@/app/_trpc/client";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, EmptyState } from "@/components/ui/card";
import { TARGET_PHASE_LABELS } from "@/components/ui/status-badge";
import type { AppRouter } from "@/server/trpc/root";

type Item = inferRouterOutputs<AppRouter>["selfService"]["available"][number];

export function SelfServiceList({ computerId, signature, initial }: { computerId: number; signature: string; initial: Item[] }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const input = { computerId, signature };
  const available = useQuery(trpc.selfService.available.queryOptions(input, { initialData: initial, refetchInterval: 3000 }));
  const install = useMutation(trpc.selfService.install.mutationOptions({ onSettled: () => queryClient.invalidateQueries(trpc.selfService.available.queryFilter(input)) }));
  const items = available.data;

  if (items.length === 0) return <EmptyState title="Nothing to install right now">Apps your IT team makes available for this Mac will appear here.</EmptyState>;

  const byCategory = new Map<string, Item[]>();
  for (const item of items) {
    const key = item.category?.trim() || "Apps";
    byCategory.set(key, [...(byCategory.get(key) ?? []), item]);
  }

  return (
    <div className="space-y-8">
      {install.error ? (
        <p role="alert" className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
          {install.error.message}
        </p>
      ) : null}
      {[...byCategory].map(([category, list]) => (
        <section key={category} aria-label={category} className="space-y-3">
          <h2 className="text-sm font-semibold tracking-wide text-muted uppercase">{category}</h2>
          <ul className="space-y-3">
            {list.map((item) => {
              const pending = install.isPending && install.variables?.deploymentId === item.deploymentId;
              return (
                <li key={item.deploymentId}>
                  <Card className="flex flex-wrap items-center gap-4 px-5 py-4" aria-label={item.titleName}>
                    <div aria-hidden className="flex size-12 shrink-0 items-center justify-center rounded-xl bg-brand-100 text-lg font-semibold text-brand-700">
                      {item.titleName.slice(0, 1)}
                    </div>
                    <div className="min-w-0 flex-1">
                      <h3 className="font-semibold">{item.titleName}</h3>
                      <p className="text-xs text-muted">
                        {item.publisher} · version {item.targetVersion}
                      </p>
                      {item.description ? <p className="mt-1 text-sm">{item.description}</p> : null}
                    </div>
                    <div className="flex shrink-0 flex-col items-end gap-1 text-right">
                      {item.status === "self_service_available" ? (
                        <Button aria-label={`Install ${item.titleName}`} disabled={pending} onClick={() => install.mutate({ computerId, signature, deploymentId: item.deploymentId })}>
                          {pending ? "Requesting…" : "Install"}
                        </Button>
                      ) : (
                        <StatusText item={item} />
                      )}
                    </div>
                  </Card>
                </li>
              );
            })}
          </ul>
        </section>
      ))}
    </div>
  );
}

function StatusText({ item }: { item: Item }) {
  switch (item.status) {
    case "installed":
      return <Badge tone="success">Installed</Badge>;
    case "failed":
      return (
        <>
          <Badge tone="danger">Could not install</Badge>
          <span className="max-w-64 text-xs text-muted">{item.reason}</span>
        </>
      );
    case "in_progress":
      return (
        <>
          <Badge tone="info">Installing…</Badge>
          <span className="text-xs text-muted">{TARGET_PHASE_LABELS[item.phase] ?? item.phase}</span>
        </>
      );
    default:
      return <Badge tone="neutral">Not available</Badge>;
  }
}

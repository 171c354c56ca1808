"use client";

import Link from "next/link";
import { useState } from "react";

import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { useTRPC } from "@/app/_trpc/client";
import { EditButton } from "@/components/auth/edit-controls";
import { Button, buttonVariants } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/card";
import { cn } from "@/components/ui/cn";
import { LocalTime } from "@/components/ui/format";
import { TARGET_PHASE_LABELS, TARGET_STATUS_META, TARGET_STATUS_ORDER, TargetStatusBadge, type TargetStatusValue } from "@/components/ui/status-badge";
import { Table, Td, Th } from "@/components/ui/table";

import { StatusSwatch } from "./status-chart";
import { TARGETS_PAGE_SIZE, type StatusCounts, type TargetRow } from "./types";

type TargetsPage = { items: TargetRow[]; total: number; page: number; pageSize: number };

export function TargetsTable({ deploymentId, counts, initialPage }: { deploymentId: number; counts: StatusCounts; initialPage: TargetsPage }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<TargetStatusValue | undefined>(undefined);
  const [page, setPage] = useState(1);
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [notice, setNotice] = useState<string | null>(null);

  const isFirstView = status === undefined && page === 1;
  const targets = useQuery({
    ...trpc.deployments.targets.queryOptions({ id: deploymentId, status, page, pageSize: TARGETS_PAGE_SIZE }, { refetchInterval: 5000 }),
    initialData: isFirstView ? initialPage : undefined,
    placeholderData: keepPreviousData,
  });
  const data = targets.data ?? { items: [], total: 0, page, pageSize: TARGETS_PAGE_SIZE };
  const pages = Math.max(1, Math.ceil(data.total / TARGETS_PAGE_SIZE));
  const total = TARGET_STATUS_ORDER.reduce((n, s) => n + counts[s], 0);

  const retry = useMutation(
    trpc.deployments.retryFailed.mutationOptions({
      onSuccess: async (r) => {
        setSelected(new Set());
        setNotice(r.retried === 0 ? "No failed computers to retry" : `Retry started for ${r.retried} ${r.retried === 1 ? "computer" : "computers"}`);
        await queryClient.invalidateQueries(trpc.deployments.pathFilter());
      },
      onError: (e) => setNotice(e.message),
    }),
  );

  const filterBy = (next: TargetStatusValue | undefined) => {
    setStatus(next);
    setPage(1);
    setSelected(new Set());
  };
  const failedOnPage = data.items.filter((t) => t.status === "failed");
  const allFailedSelected = failedOnPage.length > 0 && failedOnPage.every((t) => selected.has(t.computerId));
  const toggle = (computerId: number, on: boolean) =>
    setSelected((prev) => {
      const next = new Set(prev);
      if (on) next.add(computerId);
      else next.delete(computerId);
      return next;
    });

  const csvHref = `/deployments/${deploymentId}/targets.csv${status ? `?status=${status}` : ""}`;
  const first = data.total === 0 ? 0 : (page - 1) * TARGETS_PAGE_SIZE + 1;
  const last = Math.min(page * TARGETS_PAGE_SIZE, data.total);

  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <div role="group" aria-label="Filter by status" className="flex flex-wrap gap-1.5">
          <FilterButton active={status === undefined} onClick={() => filterBy(undefined)} label="All" count={total} />
          {TARGET_STATUS_ORDER.map((s) => (
            <FilterButton key={s} active={status === s} onClick={() => filterBy(s)} label={TARGET_STATUS_META[s].label} count={counts[s]} status={s} />
          ))}
        </div>
        <div className="flex flex-wrap items-center gap-2">
          <EditButton variant="secondary" size="sm" disabled={selected.size === 0 || retry.isPending} onClick={() => retry.mutate({ id: deploymentId, computerIds: [...selected] })}>
            Retry selected ({selected.size})
          </EditButton>
          <EditButton variant="secondary" size="sm" disabled={counts.failed === 0 || retry.isPending} onClick={() => retry.mutate({ id: deploymentId })}>
            Retry all failed ({counts.failed})
          </EditButton>
          <a href={csvHref} download className={buttonVariants({ variant: "secondary", size: "sm" })}>
            Export CSV
          </a>
        </div>
      </div>
      <p role="status" className={cn("text-sm", notice ? "text-ink" : "sr-only")}>
        {notice}
      </p>

      {data.items.length === 0 && !targets.isFetching ? (
        <EmptyState title={status ? `No computers are ${TARGET_STATUS_META[status].label}` : "No computers in scope yet"}>
          {status ? null : "Computers appear here when they are in the smart group and enrolled."}
        </EmptyState>
      ) : (
        <Table aria-label="Computers" aria-busy={targets.isFetching}>
          <thead>
            <tr>
              <Th className="w-10">
                <input
                  type="checkbox"
                  aria-label="Select every failed computer on this page"
                  className="size-4 accent-brand-600"
                  disabled={failedOnPage.length === 0}
                  checked={allFailedSelected}
                  onChange={(e) => setSelected(e.target.checked ? new Set([...selected, ...failedOnPage.map((t) => t.computerId)]) : new Set())}
                />
              </Th>
              <Th>Computer</Th>
              <Th>Status</Th>
              <Th>Phase</Th>
              <Th>Reason</Th>
              <Th className="text-right">Attempts</Th>
              <Th>Target version</Th>
              <Th>Last update</Th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((t) => (
              <tr key={t.computerId} className={cn("hover:bg-canvas/60", selected.has(t.computerId) && "bg-brand-50")}>
                <Td>
                  {t.status === "failed" ? (
                    <input
                      type="checkbox"
                      aria-label={`Select ${t.computerName || `computer ${t.computerId}`}`}
                      className="size-4 accent-brand-600"
                      checked={selected.has(t.computerId)}
                      onChange={(e) => toggle(t.computerId, e.target.checked)}
                    />
                  ) : null}
                </Td>
                <Td className="whitespace-nowrap">
                  <Link href={`/computers/${t.computerId}`} className="font-medium text-brand-700 hover:underline">
                    {t.computerName || t.udid}
                  </Link>
                </Td>
                <Td>
                  <TargetStatusBadge status={t.status} />
                </Td>
                <Td className="whitespace-nowrap text-muted">{TARGET_PHASE_LABELS[t.phase] ?? t.phase}</Td>
                <Td className="max-w-md">
                  <span className="break-words">{t.reason}</span>
                  {t.lastError && !t.reason.includes(t.lastError) ? <span className="mt-0.5 block text-xs text-red-700">Last error: {t.lastError}</span> : null}
                  {t.nextAttemptAt && t.status === "in_progress" ? (
                    <span className="mt-0.5 block text-xs text-muted">
                      Next attempt <LocalTime value={t.nextAttemptAt} />
                    </span>
                  ) : null}
                </Td>
                <Td className="text-right tabular-nums">{t.attempts}</Td>
                <Td className="font-mono text-xs">{t.targetVersion}</Td>
                <Td className="whitespace-nowrap text-muted">
                  <LocalTime value={t.updatedAt} />
                </Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}

      <nav aria-label="Pages" className="flex items-center justify-between gap-3 text-sm text-muted">
        <span>{data.total === 0 ? "No computers" : `Showing ${first}–${last} of ${data.total}`}</span>
        <div className="flex items-center gap-2">
          <Button variant="secondary" size="sm" disabled={page <= 1} onClick={() => setPage((p) => Math.max(1, p - 1))}>
            Previous page
          </Button>
          <span>
            Page {page} of {pages}
          </span>
          <Button variant="secondary" size="sm" disabled={page >= pages} onClick={() => setPage((p) => Math.min(pages, p + 1))}>
            Next page
          </Button>
        </div>
      </nav>
    </div>
  );
}

function FilterButton({ active, onClick, label, count, status }: { active: boolean; onClick: () => void; label: string; count: number; status?: TargetStatusValue }) {
  return (
    <button
      type="button"
      aria-pressed={active}
      onClick={onClick}
      className={cn(
        "inline-flex h-8 items-center gap-1.5 rounded-full border px-3 text-xs font-medium focus-visible:ring-2 focus-visible:ring-brand-500 focus-visible:outline-none",
        active ? "border-brand-600 bg-brand-600 text-white" : "border-line bg-surface text-ink hover:bg-canvas",
      )}
    >
      {status ? <StatusSwatch status={status} /> : null}
      {label}
      <span className={cn("tabular-nums", active ? "text-white/80" : "text-muted")}>{count}</span>
    </button>
  );
}

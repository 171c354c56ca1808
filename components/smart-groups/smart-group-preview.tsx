"use client";

import Link from "next/link";

import type { inferRouterOutputs } from "@trpc/server";

import { Card } from "@/components/ui/card";
import type { AppRouter } from "@/server/trpc/root";

type Preview = inferRouterOutputs<AppRouter>["smartGroups"]["preview"];

const ARCH: Record<string, string> = { arm64: "Apple silicon", x86_64: "Intel" };

export function SmartGroupPreview({
  preview,
  fetching,
  failed,
  empty,
  incomplete,
}: {
  preview: Preview | undefined;
  fetching: boolean;
  failed: string | null;
  empty: boolean;
  /** The criteria are invalid only because values are still empty (their errors are not shown yet). */
  incomplete: boolean;
}) {
  return (
    <Card aria-label="Member preview" className="overflow-hidden">
      <div className="flex items-center justify-between gap-3 border-b border-line px-5 py-3">
        <h2 className="text-base font-semibold">Preview</h2>
        <span className="text-xs text-muted" aria-hidden>
          {fetching ? "Updating…" : "Live, before saving"}
        </span>
      </div>
      <div aria-live="polite" className="px-5 py-4">
        {failed ? (
          <p className="text-sm text-red-700">{failed}</p>
        ) : !preview ? (
          <p className="text-sm text-muted">Calculating…</p>
        ) : !preview.ok ? (
          <p className="text-sm text-muted">{incomplete ? "Fill in every criterion's value to see who would be a member." : "Fix the highlighted criteria to see who would be a member."}</p>
        ) : (
          <>
            <p data-testid="preview-count">
              <span className="text-3xl font-semibold tabular-nums">{preview.count.toLocaleString()}</span>{" "}
              <span className="text-sm text-muted">
                {preview.count === 1 ? "computer matches" : "computers match"}
                {empty ? " (no criteria: every computer)" : ""}
              </span>
            </p>
            {preview.sample.length > 0 ? (
              <ul aria-label="Matching computers" className="mt-3 divide-y divide-line rounded-md border border-line text-sm">
                {preview.sample.map((c) => (
                  <li key={c.id} className="flex items-center justify-between gap-3 px-3 py-2">
                    <Link href={`/computers/${c.id}`} className="min-w-0 truncate font-medium text-brand-700 hover:underline">
                      {c.name || `Computer ${c.id}`}
                    </Link>
                    <span className="shrink-0 text-xs text-muted">
                      {[c.serialNumber, c.osVersion ? `macOS ${c.osVersion}` : null, c.architecture ? ARCH[c.architecture] : null].filter(Boolean).join(" · ")}
                    </span>
                  </li>
                ))}
              </ul>
            ) : null}
            {preview.count > preview.sample.length ? <p className="mt-2 text-xs text-muted">Showing the first {preview.sample.length} by name.</p> : null}
          </>
        )}
      </div>
    </Card>
  );
}

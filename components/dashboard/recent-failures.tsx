import Link from "next/link";

import { Card } from "@/components/ui/card";
import { LocalTime } from "@/components/ui/format";

import type { DashboardData } from "./types";

export function RecentFailures({ failures }: { failures: DashboardData["recentFailures"] }) {
  return (
    <Card aria-labelledby="failures-heading">
      <div className="border-b border-line px-5 py-3">
        <h2 id="failures-heading" className="text-base font-semibold">
          Recent failures
        </h2>
      </div>
      {failures.length === 0 ? (
        <p className="px-5 py-8 text-center text-sm text-muted">No failed installs.</p>
      ) : (
        <ul className="divide-y divide-line" aria-label="Recent failures">
          {failures.map((f) => (
            <li key={`${f.deploymentId}:${f.computerId}`} className="space-y-1 px-5 py-3 text-sm">
              <div className="flex flex-wrap items-baseline justify-between gap-x-3">
                <span>
                  <Link href={`/computers/${f.computerId}`} className="font-medium text-brand-700 hover:underline">
                    {f.computerName || `Computer ${f.computerId}`}
                  </Link>
                  <span className="text-muted"> · </span>
                  <Link href={`/deployments/${f.deploymentId}`} className="text-brand-700 hover:underline">
                    {f.deploymentName}
                  </Link>
                </span>
                <span className="text-xs text-muted">
                  <LocalTime value={f.failedAt} />
                </span>
              </div>
              <p className="text-red-800">{f.reason}</p>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

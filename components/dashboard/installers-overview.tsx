import Link from "next/link";

import { EditLink } from "@/components/auth/edit-controls";
import { EnabledBadge } from "@/components/deployments/deployments-table";
import { StatusBar } from "@/components/deployments/status-chart";
import { Card } from "@/components/ui/card";

import type { DashboardData } from "./types";

export function InstallersOverview({ installers }: { installers: DashboardData["installers"] }) {
  return (
    <Card aria-labelledby="installers-heading">
      <div className="flex items-center justify-between border-b border-line px-5 py-3">
        <h2 id="installers-heading" className="text-base font-semibold">
          App Installers
        </h2>
        <Link href="/deployments" className="text-sm text-brand-700 hover:underline">
          View all
        </Link>
      </div>
      {installers.length === 0 ? (
        <p className="px-5 py-8 text-center text-sm text-muted">
          No App Installers yet.{" "}
          <EditLink href="/deployments/new" className="text-brand-700 underline">
            Create one
          </EditLink>
          .
        </p>
      ) : (
        <ul className="divide-y divide-line">
          {installers.map((d) => (
            <li key={d.id} className="px-5 py-3.5">
              <div className="mb-2 flex flex-wrap items-baseline justify-between gap-2">
                <div className="min-w-0">
                  <Link href={`/deployments/${d.id}`} className="font-medium text-brand-700 hover:underline">
                    {d.name}
                  </Link>
                  <span className="ml-2 text-xs text-muted">
                    {d.titleName} · {d.smartGroupName}
                  </span>
                </div>
                {d.enabled ? null : <EnabledBadge enabled={false} />}
              </div>
              <StatusBar counts={d.counts} />
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

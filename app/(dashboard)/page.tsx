import { AutoRefresh } from "@/components/dashboard/auto-refresh";
import { InstallersOverview } from "@/components/dashboard/installers-overview";
import { RecentFailures } from "@/components/dashboard/recent-failures";
import { StatCard } from "@/components/dashboard/stat-card";
import { PageHeader } from "@/components/ui/card";

import { api, wire } from "../_trpc/server";

export default async function DashboardPage() {
  const data = wire(await api().deployments.dashboard());
  const { enrolled, checkedInLast24h, total } = data.computers;
  const failed = data.installers.reduce((n, d) => n + d.counts.failed, 0);
  return (
    <>
      <PageHeader title="Dashboard" description="Your Mac fleet and its App Installers at a glance." />
      <AutoRefresh intervalMs={10_000} />
      <div className="mb-6 grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
        <StatCard label="Enrolled Macs" value={enrolled} detail={total > enrolled ? `${total - enrolled} not enrolled` : undefined} href="/computers" />
        <StatCard
          label="Checked in within 24 h"
          value={checkedInLast24h}
          detail={enrolled > 0 ? `${Math.round((checkedInLast24h / enrolled) * 100)}% of enrolled Macs` : undefined}
          href="/computers"
        />
        <StatCard label="App Installers" value={data.installers.length} detail={`${data.installers.filter((d) => d.enabled).length} enabled`} href="/deployments" />
        <StatCard label="Failed installs" value={failed} detail="across every App Installer" href="/deployments" />
      </div>
      <div className="grid items-start gap-6 xl:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
        <InstallersOverview installers={data.installers} />
        <RecentFailures failures={data.recentFailures} />
      </div>
    </>
  );
}

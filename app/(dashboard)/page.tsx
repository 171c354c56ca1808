import Link from "next/link";

import { Card, PageHeader } from "@/components/ui/card";

import { api } from "../_trpc/server";

function Stat({ label, value, href }: { label: string; value: number; href: string }) {
  return (
    <Link href={href} className="block focus-visible:ring-2 focus-visible:ring-brand-500 focus-visible:outline-none">
      <Card className="px-5 py-4 hover:border-brand-500">
        <p className="text-sm text-muted">{label}</p>
        <p className="mt-1 text-3xl font-semibold">{value.toLocaleString()}</p>
      </Card>
    </Link>
  );
}

export default async function DashboardPage() {
  const [computers, catalog] = await Promise.all([api().computers.list({ pageSize: 1 }), api().catalog.list()]);
  return (
    <>
      <PageHeader title="Dashboard" description="Your Mac fleet and its App Installers at a glance." />
      <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
        <Stat label="Computers" value={computers.total} href="/computers" />
        <Stat label="Catalog titles" value={catalog.length} href="/catalog" />
        <Stat label="Catalog versions" value={catalog.reduce((n, t) => n + t.versions.length, 0)} href="/catalog" />
      </div>
    </>
  );
}

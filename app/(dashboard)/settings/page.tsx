import type { Metadata } from "next";

import { Card, PageHeader } from "@/components/ui/card";
import { LocalTime } from "@/components/ui/format";

import { api } from "../../_trpc/server";

export const metadata: Metadata = { title: "Settings" };

function duration(ms: number) {
  const minutes = ms / 60_000;
  if (minutes < 60) return `${minutes} minutes`;
  const hours = minutes / 60;
  return hours < 48 ? `${hours} hours` : `${hours / 24} days`;
}

export default async function SettingsPage() {
  const s = await api().system.settings();
  const rows: [string, string][] = [
    ["Inventory check before install (dispatch window)", duration(s.dispatchWindowMs)],
    ["Install attempts", String(s.maxAttempts)],
    ["Time between attempts", duration(s.retryIntervalMs)],
    ["Inventory update interval", duration(s.inventoryIntervalMs)],
    ["Confirmation after an acknowledged install", duration(s.confirmationDelayMs)],
  ];
  return (
    <>
      <PageHeader title="Settings" description="How App Installers pace their work." />
      <Card className="max-w-2xl">
        <dl className="divide-y divide-line">
          {rows.map(([label, value]) => (
            <div key={label} className="flex justify-between gap-4 px-5 py-3 text-sm">
              <dt className="text-muted">{label}</dt>
              <dd className="font-medium">{value}</dd>
            </div>
          ))}
          <div className="flex justify-between gap-4 px-5 py-3 text-sm">
            <dt className="text-muted">Clock</dt>
            <dd className="font-medium">
              {s.clock.simulated ? "Simulated" : "System"} · <LocalTime value={s.clock.now} />
            </dd>
          </div>
        </dl>
      </Card>
    </>
  );
}

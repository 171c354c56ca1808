import Link from "next/link";

import { Card } from "@/components/ui/card";

export function StatCard({ label, value, detail, href }: { label: string; value: number; detail?: string; href: string }) {
  return (
    <Link href={href} className="block rounded-lg focus-visible:ring-2 focus-visible:ring-brand-500 focus-visible:outline-none" aria-label={`${label}: ${value}`}>
      <Card className="h-full px-5 py-4 hover:border-brand-500">
        <p className="text-sm text-muted">{label}</p>
        <p className="mt-1 text-3xl font-semibold tabular-nums">{value.toLocaleString("en-US")}</p>
        {detail ? <p className="mt-1 text-xs text-muted">{detail}</p> : null}
      </Card>
    </Link>
  );
}

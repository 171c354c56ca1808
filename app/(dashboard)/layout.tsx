import Link from "next/link";

import { SidebarNav } from "@/components/nav/sidebar-nav";

// Every dashboard page reads live fleet state: render per request, never at build time.
export const dynamic = "force-dynamic";

export default function DashboardLayout({ children }: { children: React.ReactNode }) {
  return (
    <div className="flex min-h-screen">
      <aside className="flex w-56 shrink-0 flex-col gap-6 bg-[#1f2a1a] px-3 py-5">
        <Link href="/" className="flex items-center gap-2 px-3 text-lg font-semibold text-white">
          <span aria-hidden className="inline-block size-6 rounded-full bg-brand-500" />
          Pomona
        </Link>
        <SidebarNav />
      </aside>
      <main className="min-w-0 flex-1 px-8 py-6">{children}</main>
    </div>
  );
}

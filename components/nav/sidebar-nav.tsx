"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";

import { cn } from "@/components/ui/cn";

export const NAV_ITEMS = [
  { href: "/", label: "Dashboard" },
  { href: "/computers", label: "Computers" },
  { href: "/smart-groups", label: "Smart Groups" },
  { href: "/catalog", label: "App Catalog" },
  { href: "/deployments", label: "App Installers" },
  { href: "/settings", label: "Settings" },
  { href: "/audit", label: "Audit Log" },
] as const;

export function SidebarNav() {
  const pathname = usePathname();
  return (
    <nav aria-label="Main" className="flex flex-col gap-0.5">
      {NAV_ITEMS.map((item) => {
        const active = item.href === "/" ? pathname === "/" : pathname.startsWith(item.href);
        return (
          <Link
            key={item.href}
            href={item.href}
            aria-current={active ? "page" : undefined}
            className={cn("rounded-md px-3 py-2 text-sm font-medium text-slate-300 hover:bg-white/10 hover:text-white", active && "bg-white/15 text-white")}
          >
            {item.label}
          </Link>
        );
      })}
    </nav>
  );
}

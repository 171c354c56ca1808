import { headers } from "next/headers";
import Link from "next/link";
import { redirect } from "next/navigation";

import { sessionUserOf } from "@/server/auth/auth";
import { getDeps } from "@/server/deps";
import { RoleProvider } from "@/components/auth/role-context";
import { SignOutButton } from "@/components/auth/sign-out-button";
import { SidebarNav } from "@/components/nav/sidebar-nav";
import { Badge } from "@/components/ui/badge";

// Every dashboard page reads live fleet state: render per request, never at build time.
export const dynamic = "force-dynamic";

/** Where to come back to after signing in, when the request says which page it was for. */
function loginUrl(h: Headers): string {
  const path = h.get("x-pathname");
  return path && path.startsWith("/") && !path.startsWith("//") && !path.startsWith("/\\") && path !== "/" ? `/login?${new URLSearchParams({ next: path }).toString()}` : "/login";
}

export default async function DashboardLayout({ children }: { children: React.ReactNode }) {
  const h = await headers();
  const user = await sessionUserOf(getDeps(), h);
  if (!user) redirect(loginUrl(h));
  const readOnly = user.role !== "admin";
  return (
    <RoleProvider user={{ id: user.id, email: user.email, name: user.name, role: user.role }}>
      <div className="flex min-h-screen">
        <aside className="sticky top-0 flex h-screen w-56 shrink-0 flex-col gap-6 overflow-y-auto bg-[#1f2a1a] px-3 py-5">
          <Link href="/" className="flex items-center gap-2 px-3 text-lg font-semibold text-white">
            <span aria-hidden className="inline-block size-6 rounded-full bg-brand-500" />
            Pomona
          </Link>
          <SidebarNav />
          <section aria-label="Signed in" className="mt-auto border-t border-white/10 pt-4">
            <div className="px-3">
              <p className="text-xs text-slate-400">Signed in as</p>
              <p className="truncate text-sm font-medium text-white" title={user.email}>
                {user.email}
              </p>
              <div className="mt-1.5 flex items-center gap-2">
                <span className="text-xs text-slate-300">{user.role === "admin" ? "Admin" : "Auditor"}</span>
                {readOnly ? (
                  <Badge tone="warning" title="Auditors can see everything but change nothing">
                    Read-only
                  </Badge>
                ) : null}
              </div>
            </div>
            <SignOutButton />
          </section>
        </aside>
        <main className="min-w-0 flex-1 px-8 py-6">{children}</main>
      </div>
    </RoleProvider>
  );
}

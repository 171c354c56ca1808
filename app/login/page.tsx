import type { Metadata } from "next";
import { headers } from "next/headers";
import { redirect } from "next/navigation";

import { sessionUserOf } from "@/server/auth/auth";
import { getDeps } from "@/server/deps";
import { LoginForm } from "@/components/auth/login-form";
import { Card } from "@/components/ui/card";

export const metadata: Metadata = { title: "Sign in" };

/** Only a path on this site: "/x", never "//host", "/\\host" or "/\t/host", which browsers read as another site. */
function safeNext(raw: string | string[] | undefined): string {
  const next = Array.isArray(raw) ? raw[0] : raw;
  if (!next?.startsWith("/") || next.startsWith("//") || next.includes("\\") || [...next].some((c) => c < " ")) return "/";
  const base = "http://pomona.invalid";
  const url = new URL(next, base);
  if (url.origin !== base || url.pathname.startsWith("/login")) return "/";
  return `${url.pathname}${url.search}${url.hash}`;
}

export default async function LoginPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const next = safeNext((await searchParams).next);
  if (await sessionUserOf(getDeps(), await headers())) redirect(next);
  return (
    <main className="flex min-h-screen flex-col items-center justify-center bg-canvas px-4 py-12">
      <div className="w-full max-w-sm">
        <div className="mb-6 flex flex-col items-center gap-2 text-center">
          <span aria-hidden className="inline-block size-10 rounded-full bg-brand-500" />
          <p className="text-2xl font-semibold tracking-tight">Pomona</p>
          <p className="text-sm text-muted">App Installers for your Mac fleet</p>
        </div>
        <Card className="p-6">
          <h1 className="mb-4 text-lg font-semibold">Sign in</h1>
          <LoginForm next={next} />
        </Card>
        <p className="mt-4 text-center text-xs leading-relaxed text-muted">
          No account? An admin creates accounts in Settings → Accounts, or on the server with{" "}
          <code className="rounded bg-line/60 px-1 py-0.5 font-mono whitespace-nowrap">npm run users -- create you@example.com</code>.
        </p>
      </div>
    </main>
  );
}

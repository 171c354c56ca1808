import type { Metadata } from "next";

// The end user's pages read live state and carry their own signed link: render per request.
export const dynamic = "force-dynamic";

export const metadata: Metadata = { title: { default: "Self Service", template: "%s · Self Service" }, robots: { index: false, follow: false } };

export default function SelfServiceLayout({ children }: { children: React.ReactNode }) {
  return (
    <div className="min-h-screen bg-canvas">
      <header className="border-b border-line bg-surface">
        <div className="mx-auto flex max-w-3xl items-center gap-2 px-6 py-4">
          <span aria-hidden className="inline-block size-6 rounded-full bg-brand-500" />
          <span className="text-lg font-semibold">Self Service</span>
        </div>
      </header>
      <main className="mx-auto max-w-3xl px-6 py-8">{children}</main>
    </div>
  );
}

import Link from "next/link";

import { Badge } from "@/components/ui/badge";
import { Card } from "@/components/ui/card";
import { cn } from "@/components/ui/cn";

import type { DistributionMethod, PreviewOutcome, PreviewResult } from "./types";

const OUTCOMES: { key: PreviewOutcome; label: string; tone: "success" | "brand" | "neutral" | "danger" | "info"; hint: string }[] = [
  { key: "install", label: "Will install", tone: "success", hint: "In scope, compatible, and this App Installer wins its title." },
  { key: "self_service", label: "Offered in Self Service", tone: "brand", hint: "Listed on the user's Self Service page until they click Install." },
  { key: "unqualified", label: "Unqualified", tone: "neutral", hint: "Another App Installer of this title takes precedence." },
  { key: "failed", label: "Will fail", tone: "danger", hint: "The target version cannot run on these Macs." },
  { key: "waiting", label: "Waiting for device information", tone: "info", hint: "macOS version or architecture not reported yet." },
];

export function DeploymentPreview({
  result,
  loading,
  error,
  ready,
  stale,
  distributionMethod,
}: {
  result: PreviewResult | undefined;
  loading: boolean;
  error: string | null;
  ready: boolean;
  stale: boolean;
  distributionMethod: DistributionMethod;
}) {
  const shown = OUTCOMES.filter((o) => o.key !== (distributionMethod === "self_service" ? "install" : "self_service") || (result?.outcomes[o.key].count ?? 0) > 0);
  return (
    <Card className="space-y-4 p-5 xl:sticky xl:top-6">
      <section aria-label="Dry-run preview" aria-busy={loading || stale} className="space-y-4">
        <div className="flex items-baseline justify-between gap-3">
          <h2 className="text-base font-semibold">
            Preview
          </h2>
          <span className="text-xs text-muted" aria-live="polite">
            {loading || stale ? "Updating…" : ready && result ? "Up to date" : null}
          </span>
        </div>
        <p className="text-sm text-muted">A dry run: what saving would do to each computer in scope, before anything is sent.</p>
        {error ? (
          <p role="alert" className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
            {error}
          </p>
        ) : !ready ? (
          <p className="rounded-md border border-dashed border-line px-3 py-6 text-center text-sm text-muted">Choose a title and a smart group to see who would get it.</p>
        ) : !result ? (
          <p className="text-sm text-muted">Calculating…</p>
        ) : (
          <div className={cn("space-y-3", (loading || stale) && "opacity-70")}>
            <p className="text-sm">
              <span className="text-2xl font-semibold tabular-nums">{result.inScope}</span> {result.inScope === 1 ? "computer" : "computers"} in scope
              {result.targetVersion ? (
                <>
                  {" "}
                  · target version <span className="font-mono">{result.targetVersion}</span>
                </>
              ) : null}
            </p>
            <ul className="space-y-2">
              {shown.map((o) => {
                const bucket = result.outcomes[o.key];
                return (
                  <li key={o.key} aria-label={`${o.label}: ${bucket.count}`} className={cn("rounded-md border border-line p-3", bucket.count === 0 && "bg-canvas/60")}>
                    <div className="flex items-center justify-between gap-2">
                      <span className="text-sm font-medium">{o.label}</span>
                      <Badge tone={bucket.count > 0 ? o.tone : "neutral"} className="tabular-nums">
                        {bucket.count}
                      </Badge>
                    </div>
                    {bucket.count === 0 ? null : (
                      <>
                        <p className="mt-0.5 text-xs text-muted">{o.hint}</p>
                        <ul className="mt-2 space-y-1.5">
                          {bucket.sample.map((s) => (
                            <li key={s.computerId} className="text-xs">
                              <Link href={`/computers/${s.computerId}`} className="font-medium text-brand-700 hover:underline">
                                {s.computerName || `Computer ${s.computerId}`}
                              </Link>
                              <span className="block text-muted">{s.reason}</span>
                            </li>
                          ))}
                        </ul>
                        {bucket.count > bucket.sample.length ? <p className="mt-1.5 text-xs text-muted">and {bucket.count - bucket.sample.length} more</p> : null}
                      </>
                    )}
                  </li>
                );
              })}
            </ul>
          </div>
        )}
      </section>
    </Card>
  );
}

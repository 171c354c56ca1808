import { cn } from "@/components/ui/cn";
import { TARGET_STATUS_META, TARGET_STATUS_ORDER, type TargetStatusValue } from "@/components/ui/status-badge";

type Tone = (typeof TARGET_STATUS_META)[TargetStatusValue]["tone"];

// Chart colours follow each status's badge tone, so a colour means the same thing everywhere.
const TONE_BG: Record<Tone, string> = { success: "bg-emerald-500", info: "bg-sky-500", brand: "bg-brand-500", neutral: "bg-slate-400", danger: "bg-red-500" };
const TONE_STROKE: Record<Tone, string> = { success: "stroke-emerald-500", info: "stroke-sky-500", brand: "stroke-brand-500", neutral: "stroke-slate-400", danger: "stroke-red-500" };

export type Counts = Record<TargetStatusValue, number>;

const totalOf = (counts: Counts) => TARGET_STATUS_ORDER.reduce((n, s) => n + counts[s], 0);

export function describeCounts(counts: Counts): string {
  const total = totalOf(counts);
  if (total === 0) return "No computers in scope";
  return TARGET_STATUS_ORDER.filter((s) => counts[s] > 0)
    .map((s) => `${TARGET_STATUS_META[s].label}: ${counts[s]}`)
    .join(", ");
}

export function StatusSwatch({ status, className }: { status: TargetStatusValue; className?: string }) {
  return <span aria-hidden className={cn("inline-block size-2.5 shrink-0 rounded-sm", TONE_BG[TARGET_STATUS_META[status].tone], className)} />;
}

/** The five statuses as one stacked horizontal bar, with a legend of counts: all five, or only those with computers. */
export function StatusBar({ counts, legend = "full", className }: { counts: Counts; legend?: "full" | "compact" | "none"; className?: string }) {
  const total = totalOf(counts);
  return (
    <div className={cn("space-y-2", className)}>
      <div role="img" aria-label={describeCounts(counts)} className="flex h-2.5 w-full overflow-hidden rounded-full bg-line">
        {total > 0
          ? TARGET_STATUS_ORDER.filter((s) => counts[s] > 0).map((s) => (
              <div key={s} className={cn("h-full", TONE_BG[TARGET_STATUS_META[s].tone])} style={{ width: `${(counts[s] / total) * 100}%` }} title={`${TARGET_STATUS_META[s].label}: ${counts[s]}`} />
            ))
          : null}
      </div>
      {legend === "none" ? null : <StatusLegend counts={counts} compact={legend === "compact"} />}
    </div>
  );
}

export function StatusLegend({ counts, compact = false, className }: { counts: Counts; compact?: boolean; className?: string }) {
  const shown = compact ? TARGET_STATUS_ORDER.filter((s) => counts[s] > 0) : TARGET_STATUS_ORDER;
  if (shown.length === 0) return <p className={cn("text-xs text-muted", className)}>No computers in scope</p>;
  return (
    <ul className={cn("flex flex-wrap gap-x-4 gap-y-1 text-xs text-muted", className)}>
      {shown.map((s) => (
        <li key={s} className={cn("flex items-center gap-1.5", counts[s] === 0 && "opacity-60")}>
          <StatusSwatch status={s} />
          <span>{TARGET_STATUS_META[s].label}</span>
          <span className="font-semibold text-ink tabular-nums">{counts[s]}</span>
        </li>
      ))}
    </ul>
  );
}

/** A donut of the status breakdown (SVG, one arc per status), the total in its middle. */
export function StatusDonut({ counts, size = 168 }: { counts: Counts; size?: number }) {
  const total = totalOf(counts);
  const stroke = 22;
  const r = (size - stroke) / 2;
  const circumference = 2 * Math.PI * r;
  let offset = 0;
  const arcs = TARGET_STATUS_ORDER.filter((s) => counts[s] > 0).map((s) => {
    const length = (counts[s] / total) * circumference;
    const arc = { status: s, length, offset };
    offset += length;
    return arc;
  });
  return (
    <svg role="img" aria-label={`Status breakdown. ${describeCounts(counts)}`} width={size} height={size} viewBox={`0 0 ${size} ${size}`} className="shrink-0">
      <circle cx={size / 2} cy={size / 2} r={r} fill="none" strokeWidth={stroke} className="stroke-line" />
      <g transform={`rotate(-90 ${size / 2} ${size / 2})`}>
        {arcs.map((a) => (
          <circle
            key={a.status}
            cx={size / 2}
            cy={size / 2}
            r={r}
            fill="none"
            strokeWidth={stroke}
            strokeDasharray={`${a.length} ${circumference - a.length}`}
            strokeDashoffset={-a.offset}
            className={TONE_STROKE[TARGET_STATUS_META[a.status].tone]}
          >
            <title>{`${TARGET_STATUS_META[a.status].label}: ${counts[a.status]}`}</title>
          </circle>
        ))}
      </g>
      <text x="50%" y="47%" textAnchor="middle" dominantBaseline="middle" className="fill-ink text-3xl font-semibold">
        {total}
      </text>
      <text x="50%" y="63%" textAnchor="middle" dominantBaseline="middle" className="fill-muted text-xs">
        {total === 1 ? "computer" : "computers"}
      </text>
    </svg>
  );
}

"use client";

// Dates arrive as ISO strings (no tRPC transformer) and show in the viewer's local time.

export function formatDateTime(value: string | Date | null | undefined): string {
  if (!value) return "—";
  const d = typeof value === "string" ? new Date(value) : value;
  return Number.isNaN(d.getTime()) ? "—" : d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function LocalTime({ value }: { value: string | Date | null | undefined }) {
  const iso = value ? (typeof value === "string" ? value : value.toISOString()) : undefined;
  return (
    <time dateTime={iso} suppressHydrationWarning>
      {formatDateTime(value)}
    </time>
  );
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB"];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

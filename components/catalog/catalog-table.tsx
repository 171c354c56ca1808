"use client";

import { useMemo, useState } from "react";

import type { inferRouterOutputs } from "@trpc/server";

import { EditLink } from "@/components/auth/edit-controls";
import { Badge } from "@/components/ui/badge";
import { EmptyState } from "@/components/ui/card";
import { Table, Td, Th } from "@/components/ui/table";
import type { AppRouter } from "@/server/trpc/root";

type CatalogTitle = inferRouterOutputs<AppRouter>["catalog"]["list"][number];

const ARCH_LABEL: Record<string, string> = { arm64: "Apple silicon", x86_64: "Intel" };

function Architectures({ list }: { list: string[] }) {
  if (list.length === 2) return <Badge tone="neutral">Universal</Badge>;
  return (
    <>
      {list.map((a) => (
        <Badge key={a} tone={a === "arm64" ? "brand" : "info"}>
          {ARCH_LABEL[a] ?? a} only
        </Badge>
      ))}
    </>
  );
}

export function CatalogTable({ titles }: { titles: CatalogTitle[] }) {
  const [query, setQuery] = useState("");
  const shown = useMemo(() => {
    const q = query.trim().toLowerCase();
    if (!q) return titles;
    return titles.filter((t) => [t.name, t.bundleId, t.publisher, t.category].some((s) => s.toLowerCase().includes(q)));
  }, [titles, query]);

  return (
    <div className="space-y-4">
      <input
        type="search"
        aria-label="Search the catalog"
        placeholder="Search by name, bundle ID, publisher or category"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        className="h-9 w-full max-w-md rounded-md border border-line bg-surface px-3 text-sm focus-visible:ring-2 focus-visible:ring-brand-500 focus-visible:outline-none"
      />
      {shown.length === 0 ? (
        <EmptyState title={titles.length === 0 ? "The catalog is empty" : "No title matches your search"}>
          {titles.length === 0 ? "Sync the catalog to load the bundled titles." : null}
        </EmptyState>
      ) : (
        <Table aria-label="Catalog titles">
          <thead>
            <tr>
              <Th>Title</Th>
              <Th>Category</Th>
              <Th>Current version</Th>
              <Th>Minimum macOS</Th>
              <Th>Architectures</Th>
              <Th>Older versions</Th>
              <Th>Profiles</Th>
            </tr>
          </thead>
          <tbody>
            {shown.map((t) => {
              const [current, ...older] = t.versions;
              return (
                <tr key={t.id} className="hover:bg-canvas/60">
                  <Td>
                    <div className="font-medium">{t.name}</div>
                    <div className="text-xs text-muted">
                      {t.publisher} · <code>{t.bundleId}</code>
                    </div>
                    <EditLink
                      href={`/deployments/new?titleId=${t.id}`}
                      aria-label={`New App Installer for ${t.name}`}
                      className="mt-1 inline-block text-xs font-medium text-brand-700 hover:underline focus-visible:ring-2 focus-visible:ring-brand-500 focus-visible:outline-none"
                    >
                      + New App Installer
                    </EditLink>
                  </Td>
                  <Td className="text-muted">{t.category}</Td>
                  <Td className="font-mono text-xs">{current?.shortVersion ?? current?.version ?? "—"}</Td>
                  <Td className="whitespace-nowrap">{current ? `macOS ${current.minimumOsVersion} or later` : "—"}</Td>
                  <Td>
                    <div className="flex flex-wrap gap-1">{current ? <Architectures list={current.architectures} /> : null}</div>
                  </Td>
                  <Td>
                    <ul className="space-y-0.5 text-xs text-muted">
                      {older.map((v) => (
                        <li key={v.id}>
                          <span className="font-mono text-ink">{v.shortVersion ?? v.version}</span> · macOS {v.minimumOsVersion}+
                          {v.architectures.length === 1 ? ` · ${ARCH_LABEL[v.architectures[0] ?? ""] ?? ""} only` : ""}
                        </li>
                      ))}
                    </ul>
                  </Td>
                  <Td>{t.supportingProfileCount > 0 ? <Badge tone="info">{t.supportingProfileCount}</Badge> : <span className="text-muted">—</span>}</Td>
                </tr>
              );
            })}
          </tbody>
        </Table>
      )}
    </div>
  );
}

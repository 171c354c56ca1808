"use client";

import { useMemo, useState } from "react";

import { Badge } from "@/components/ui/badge";
import { EmptyState } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { Section } from "@/components/ui/section";
import { Td, Th } from "@/components/ui/table";

import { useComputer, type ComputerDetail } from "./use-computer";

export function InstalledApps({ initial }: { initial: ComputerDetail }) {
  const { data } = useComputer(initial.id, initial);
  const apps = data.installedApps;
  const [filter, setFilter] = useState("");
  const shown = useMemo(() => {
    const q = filter.trim().toLowerCase();
    if (!q) return apps;
    return apps.filter((a) => [a.name, a.bundleId ?? "", a.shortVersion ?? "", a.version ?? ""].some((s) => s.toLowerCase().includes(q)));
  }, [apps, filter]);

  return (
    <Section
      title="Inventory"
      description={apps.length === 0 ? "Installed applications, from the last InstalledApplicationList." : `${shown.length === apps.length ? apps.length : `${shown.length} of ${apps.length}`} installed applications`}
      actions={
        apps.length > 0 ? <Input type="search" size="sm" aria-label="Filter installed apps" placeholder="Name, bundle ID or version" value={filter} onChange={(e) => setFilter(e.target.value)} className="w-72" /> : null
      }
    >
      {apps.length === 0 ? (
        <EmptyState title="No inventory yet">The installed apps appear once the Mac answers InstalledApplicationList.</EmptyState>
      ) : shown.length === 0 ? (
        <EmptyState title="No installed app matches the filter" />
      ) : (
        <div className="max-h-[30rem] overflow-auto rounded-lg border border-line bg-surface">
          <table aria-label="Installed apps" className="w-full border-collapse text-left text-sm">
            <thead>
              <tr>
                <Th className="sticky top-0 z-10">Application</Th>
                <Th className="sticky top-0 z-10">Version</Th>
                <Th className="sticky top-0 z-10">Bundle ID</Th>
              </tr>
            </thead>
            <tbody>
              {shown.map((a, i) => (
                <tr key={`${a.bundleId ?? ""}|${a.name}|${i}`}>
                  <Td className="font-medium">
                    {a.name}
                    {a.installing ? (
                      <Badge tone="info" className="ml-2">
                        Installing
                      </Badge>
                    ) : null}
                  </Td>
                  <Td className="font-mono text-xs leading-5 whitespace-nowrap">
                    {a.shortVersion ?? a.version ?? "—"}
                    {a.shortVersion && a.version && a.version !== a.shortVersion ? <span className="text-muted"> ({a.version})</span> : null}
                  </Td>
                  <Td className="font-mono text-xs leading-5 break-words text-muted">{a.bundleId ?? "—"}</Td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Section>
  );
}

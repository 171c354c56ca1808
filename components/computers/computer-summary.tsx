"use client";

import Link from "next/link";

import { Badge } from "@/components/ui/badge";
import { Card, EmptyState } from "@/components/ui/card";
import { LocalTime } from "@/components/ui/format";
import { Section } from "@/components/ui/section";
import { TARGET_PHASE_LABELS, TargetStatusBadge } from "@/components/ui/status-badge";
import { Table, Td, Th } from "@/components/ui/table";

import { architectureLabel } from "./labels";
import { useComputer, type ComputerDetail } from "./use-computer";

function Field({ label, children, mono = false }: { label: string; children: React.ReactNode; mono?: boolean }) {
  return (
    <div className="min-w-0 px-5 py-3">
      <dt className="text-xs font-medium tracking-wide text-muted uppercase">{label}</dt>
      <dd className={mono ? "mt-0.5 font-mono text-xs break-all" : "mt-0.5 text-sm break-words"}>{children}</dd>
    </div>
  );
}

export function ComputerGeneral({ initial }: { initial: ComputerDetail }) {
  const { data: c } = useComputer(initial.id, initial);
  const model = c.modelName && c.model ? `${c.modelName} (${c.model})` : (c.modelName ?? c.model ?? c.productName ?? "Unknown yet");
  const macos = c.osVersion ? `macOS ${c.osVersion}${c.buildVersion ? ` (${c.buildVersion})` : ""}` : "Unknown yet";
  return (
    <Section title="General" className="lg:col-span-2">
      <Card>
        <dl className="grid sm:grid-cols-2 [&>div]:border-b [&>div]:border-line [&>div:last-child]:border-b-0 sm:[&>div:nth-last-child(2)]:border-b-0">
          <Field label="Name">{c.name || "—"}</Field>
          <Field label="Serial number" mono>
            {c.serialNumber ?? "—"}
          </Field>
          <Field label="Model">{model}</Field>
          <Field label="macOS">{macos}</Field>
          <Field label="Architecture">{architectureLabel(c.architecture)}</Field>
          <Field label="UDID" mono>
            {c.udid}
          </Field>
          <Field label="Enrolled">
            {c.enrolled ? (
              <>
                <Badge tone="success">Enrolled</Badge> <span className="text-muted">since</span> <LocalTime value={c.enrolledAt} />
              </>
            ) : (
              <Badge tone="warning">Not enrolled</Badge>
            )}
          </Field>
          <Field label="Last check-in">
            <LocalTime value={c.lastCheckinAt} />
          </Field>
          <Field label="Last inventory update">
            <LocalTime value={c.lastInventoryAt} />
          </Field>
          <Field label="Installed apps">{c.installedApps.length.toLocaleString()}</Field>
        </dl>
      </Card>
    </Section>
  );
}

export function ComputerGroups({ initial }: { initial: ComputerDetail }) {
  const { data: c } = useComputer(initial.id, initial);
  return (
    <Section title="Smart group memberships">
      {c.groups.length === 0 ? (
        <EmptyState title="In no smart group">Smart groups are recalculated when inventory changes.</EmptyState>
      ) : (
        <Card>
          <ul aria-label="Smart group memberships" className="divide-y divide-line">
            {c.groups.map((g) => (
              <li key={g.id} className="px-5 py-2.5 text-sm">
                <Link href={`/smart-groups/${g.id}`} className="font-medium text-brand-700 hover:underline">
                  {g.name}
                </Link>
              </li>
            ))}
          </ul>
        </Card>
      )}
    </Section>
  );
}

export function ComputerDeployments({ initial }: { initial: ComputerDetail }) {
  const { data: c } = useComputer(initial.id, initial);
  return (
    <Section title="App Installers on this Mac" description="Every App Installer whose smart group holds this computer, and where it stands.">
      {c.deployments.length === 0 ? (
        <EmptyState title="No App Installer targets this Mac">App Installers appear here once their smart group includes this computer.</EmptyState>
      ) : (
        <Table aria-label="App Installers on this Mac">
          <thead>
            <tr>
              <Th>App Installer</Th>
              <Th>Status</Th>
              <Th>Phase</Th>
              <Th>Reason</Th>
              <Th className="text-right">Attempts</Th>
              <Th>Version</Th>
              <Th>Updated</Th>
            </tr>
          </thead>
          <tbody>
            {c.deployments.map((d) => (
              <tr key={d.deploymentId}>
                <Td>
                  <Link href={`/deployments/${d.deploymentId}`} className="font-medium text-brand-700 hover:underline">
                    {d.deploymentName}
                  </Link>
                  <div className="text-xs text-muted">
                    {d.titleName} · {d.distributionMethod === "self_service" ? "Self Service" : "Install automatically"}
                  </div>
                </Td>
                <Td>
                  <TargetStatusBadge status={d.status} />
                </Td>
                <Td className="whitespace-nowrap text-muted">{TARGET_PHASE_LABELS[d.phase] ?? d.phase}</Td>
                <Td className="max-w-md text-muted">{d.reason || "—"}</Td>
                <Td className="text-right tabular-nums">{d.attempts}</Td>
                <Td className="font-mono text-xs leading-5">{d.targetVersion ?? "—"}</Td>
                <Td className="whitespace-nowrap">
                  <LocalTime value={d.updatedAt} />
                  {d.nextAttemptAt ? (
                    <div className="text-xs text-muted">
                      Next attempt <LocalTime value={d.nextAttemptAt} />
                    </div>
                  ) : null}
                </Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </Section>
  );
}

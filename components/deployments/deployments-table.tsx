import Link from "next/link";

import { Badge } from "@/components/ui/badge";
import { Table, Td, Th } from "@/components/ui/table";

import { StatusBar } from "./status-chart";
import { DISTRIBUTION_LABELS, UPDATE_LABELS, type DeploymentSummary } from "./types";

export function EnabledBadge({ enabled }: { enabled: boolean }) {
  return enabled ? <Badge tone="success">Enabled</Badge> : <Badge tone="neutral">Disabled</Badge>;
}

export function DeploymentsTable({ deployments }: { deployments: DeploymentSummary[] }) {
  return (
    <Table aria-label="App Installers">
      <thead>
        <tr>
          <Th>App Installer</Th>
          <Th>Smart group</Th>
          <Th>Distribution</Th>
          <Th>Update</Th>
          <Th className="w-[30%]">Status</Th>
          <Th>State</Th>
        </tr>
      </thead>
      <tbody>
        {deployments.map((d) => (
          <tr key={d.id} className="hover:bg-canvas/60">
            <Td className="min-w-56">
              <Link href={`/deployments/${d.id}`} className="font-medium text-brand-700 hover:underline">
                {d.name}
              </Link>
              <div className="text-xs text-muted">{d.titleName}</div>
            </Td>
            <Td className="text-muted">{d.smartGroupName}</Td>
            <Td className="whitespace-nowrap">{DISTRIBUTION_LABELS[d.distributionMethod]}</Td>
            <Td className="whitespace-nowrap">
              {UPDATE_LABELS[d.updateMethod]}
              {d.updateMethod === "manual" && d.version ? <span className="ml-1 font-mono text-xs text-muted">{d.version}</span> : null}
            </Td>
            <Td>
              <StatusBar counts={d.counts} legend="compact" />
            </Td>
            <Td>
              <EnabledBadge enabled={d.enabled} />
            </Td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}

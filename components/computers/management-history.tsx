"use client";

import { useState } from "react";

import Link from "next/link";

import { useMutation, useQueryClient } from "@tanstack/react-query";

import { useTRPC } from "@/app/_trpc/client";
import { EditButton } from "@/components/auth/edit-controls";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/card";
import { LocalTime } from "@/components/ui/format";
import { Section } from "@/components/ui/section";
import { CommandStatusBadge } from "@/components/ui/status-badge";
import { Table, Td, Th } from "@/components/ui/table";

import { useComputerHistory, type ComputerHistory, type HistoryCommand } from "./use-computer";

const PURPOSE_LABELS: Record<string, string> = {
  device_information: "Device information",
  inventory: "Inventory",
  verify: "Install confirmation",
  profile: "Supporting profile",
  install: "Install",
  admin: "Admin request",
};

const PAGE = 50;

const isPending = (c: HistoryCommand) => c.status === "queued" || c.status === "not_now";

/** The error text of a failed command: each ErrorChain entry's description, with its domain and code. */
function errorText(chain: HistoryCommand["errorChain"]): string {
  if (!chain || chain.length === 0) return "The Mac reported an error without details";
  return chain
    .map((e) => {
      const text = e.LocalizedDescription ?? e.USEnglishDescription ?? "Error";
      const code = e.ErrorDomain || e.ErrorCode !== undefined ? ` (${[e.ErrorDomain, e.ErrorCode].filter((v) => v !== undefined && v !== "").join(" ")})` : "";
      return `${text}${code}`;
    })
    .join(" — ");
}

export function ManagementHistory({ computerId, initial }: { computerId: number; initial: ComputerHistory }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { data } = useComputerHistory(computerId, initial);
  const [limit, setLimit] = useState(PAGE);
  const cancel = useMutation(
    trpc.computers.cancelCommand.mutationOptions({
      onSettled: () => queryClient.invalidateQueries(trpc.computers.pathFilter()),
    }),
  );
  const commands = data.commands;
  const pending = commands.filter(isPending).length;

  return (
    <Section
      title="Management History"
      description={commands.length === 0 ? "Every MDM command sent to this Mac, newest first." : `${commands.length} commands, newest first${pending > 0 ? ` · ${pending} pending` : ""}`}
    >
      {cancel.isError ? (
        <Alert tone="danger" role="alert" className="mb-3">
          {cancel.error.message}
        </Alert>
      ) : null}
      {commands.length === 0 ? (
        <EmptyState title="No commands yet">Commands appear here as soon as Pomona queues them for this Mac.</EmptyState>
      ) : (
        <>
          <Table aria-label="Management History">
            <thead>
              <tr>
                <Th>Command</Th>
                <Th>Status</Th>
                <Th>Issued</Th>
                <Th>Sent</Th>
                <Th>Completed</Th>
                <Th>
                  <span className="sr-only">Actions</span>
                </Th>
              </tr>
            </thead>
            <tbody>
              {commands.slice(0, limit).map((c) => (
                <tr key={c.uuid}>
                  <Td>
                    <div className="font-medium">{c.requestType}</div>
                    <div className="text-xs whitespace-nowrap text-muted">
                      {PURPOSE_LABELS[c.purpose] ?? c.purpose}
                      {c.deploymentId !== null ? (
                        <>
                          {" · "}
                          <Link href={`/deployments/${c.deploymentId}`} className="text-brand-700 hover:underline">
                            App Installer #{c.deploymentId}
                          </Link>
                          {c.attempt !== null ? `, attempt ${c.attempt}` : null}
                        </>
                      ) : null}
                    </div>
                  </Td>
                  <Td className="max-w-sm">
                    <CommandStatusBadge status={c.status} />
                    {c.status === "not_now" || (c.notNowCount > 0 && c.status === "queued") ? (
                      <div className="mt-1 text-xs text-muted">Not Now {c.notNowCount === 1 ? "once" : `${c.notNowCount} times`}: offered again at the next poll</div>
                    ) : null}
                    {c.status === "error" || c.status === "command_format_error" ? <div className="mt-1 text-xs text-red-700">{errorText(c.errorChain)}</div> : null}
                  </Td>
                  <Td className="whitespace-nowrap">
                    <LocalTime value={c.createdAt} />
                  </Td>
                  <Td className="whitespace-nowrap">
                    <LocalTime value={c.sentAt} />
                  </Td>
                  <Td className="whitespace-nowrap">
                    <LocalTime value={c.completedAt} />
                  </Td>
                  <Td className="text-right">
                    {isPending(c) ? (
                      <EditButton
                        variant="secondary"
                        size="sm"
                        aria-label={`Cancel ${c.requestType}`}
                        disabled={cancel.isPending && cancel.variables?.uuid === c.uuid}
                        onClick={() => cancel.mutate({ uuid: c.uuid })}
                      >
                        Cancel
                      </EditButton>
                    ) : null}
                  </Td>
                </tr>
              ))}
            </tbody>
          </Table>
          {commands.length > limit ? (
            <Button variant="ghost" size="sm" className="mt-2" onClick={() => setLimit((l) => l + PAGE)}>
              Show {Math.min(PAGE, commands.length - limit)} more commands
            </Button>
          ) : null}
        </>
      )}
    </Section>
  );
}

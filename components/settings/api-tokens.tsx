"use client";

import { useState } from "react";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";

import { useTRPC } from "@/app/_trpc/client";
import { EditButton, EditFieldset } from "@/components/auth/edit-controls";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Card } from "@/components/ui/card";
import { ConfirmDialog } from "@/components/ui/dialog";
import { LocalTime } from "@/components/ui/format";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Select } from "@/components/ui/select";
import { Table, Td, Th } from "@/components/ui/table";
import type { AppRouter } from "@/server/trpc/root";

import { OneTimeSecret } from "./one-time-secret";

type Token = inferRouterOutputs<AppRouter>["system"]["apiTokens"][number];

export function ApiTokens({ initial }: { initial: Token[] }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { data: tokens } = useQuery(trpc.system.apiTokens.queryOptions(undefined, { initialData: initial }));
  const [label, setLabel] = useState("");
  const [role, setRole] = useState<"admin" | "auditor">("auditor");
  const [revoking, setRevoking] = useState<Token | null>(null);
  const refresh = () => queryClient.invalidateQueries(trpc.system.apiTokens.pathFilter());
  const create = useMutation(trpc.system.createApiToken.mutationOptions({ onSuccess: () => void refresh().then(() => setLabel("")) }));
  const revoke = useMutation(trpc.system.revokeApiToken.mutationOptions({ onSuccess: () => void refresh().then(() => setRevoking(null)) }));
  const created = create.data;

  return (
    <div className="space-y-4">
      <Card className="p-5">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (label.trim()) create.mutate({ label: label.trim(), role });
          }}
        >
          <EditFieldset className="flex flex-wrap items-end gap-3">
            <div className="min-w-64 flex-1">
              <Label htmlFor="api-token-label">Label</Label>
              <Input id="api-token-label" aria-label="API token label" className="mt-1" placeholder="e.g. Inventory export script" maxLength={200} required value={label} onChange={(e) => setLabel(e.target.value)} />
            </div>
            <div>
              <Label htmlFor="api-token-role">Role</Label>
              <Select id="api-token-role" aria-label="API token role" className="mt-1" value={role} onChange={(e) => setRole(e.target.value as "admin" | "auditor")}>
                <option value="auditor">Auditor (read-only)</option>
                <option value="admin">Admin</option>
              </Select>
            </div>
            <EditButton type="submit" disabled={create.isPending || !label.trim()}>
              {create.isPending ? "Creating…" : "Create API token"}
            </EditButton>
          </EditFieldset>
        </form>
        {create.isError ? (
          <Alert tone="danger" role="alert" className="mt-4">
            {create.error.message}
          </Alert>
        ) : null}
        {created ? (
          <OneTimeSecret
            name="New API token"
            title="Copy the token now: it is shown only once and stored hashed."
            hint={
              <>
                Scripts send it as <code>Authorization: Bearer …</code> to <code>/api/trpc</code>.
              </>
            }
            fields={[{ id: "new-api-token", label: "API token", value: created.token, copyLabel: "Copy API token" }]}
            onDone={() => create.reset()}
          />
        ) : null}
      </Card>

      {tokens.length === 0 ? (
        <p className="rounded-lg border border-dashed border-line bg-surface px-5 py-6 text-center text-sm text-muted">No API tokens yet.</p>
      ) : (
        <Table aria-label="API tokens">
          <thead>
            <tr>
              <Th>Label</Th>
              <Th>Role</Th>
              <Th>Created</Th>
              <Th>Last used</Th>
              <Th>Status</Th>
              <Th>
                <span className="sr-only">Actions</span>
              </Th>
            </tr>
          </thead>
          <tbody>
            {tokens.map((t) => (
              <tr key={t.id}>
                <Td className="font-medium">{t.label}</Td>
                <Td>{t.role === "admin" ? "Admin" : "Auditor"}</Td>
                <Td className="whitespace-nowrap">
                  <LocalTime value={t.createdAt} />
                </Td>
                <Td className="whitespace-nowrap">{t.lastUsedAt ? <LocalTime value={t.lastUsedAt} /> : <span className="text-muted">Never</span>}</Td>
                <Td>{t.revokedAt ? <Badge tone="neutral">Revoked</Badge> : <Badge tone="success">Active</Badge>}</Td>
                <Td className="text-right">
                  {t.revokedAt ? null : (
                    <EditButton variant="secondary" size="sm" aria-label={`Revoke ${t.label}`} onClick={() => setRevoking(t)}>
                      Revoke
                    </EditButton>
                  )}
                </Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
      {revoking ? (
        <ConfirmDialog
          open
          title={`Revoke "${revoking.label}"?`}
          description="Scripts using this token stop working at once."
          confirmLabel="Revoke API token"
          pending={revoke.isPending}
          error={revoke.error?.message}
          onConfirm={() => revoke.mutate({ id: revoking.id })}
          onClose={() => setRevoking(null)}
        />
      ) : null}
    </div>
  );
}

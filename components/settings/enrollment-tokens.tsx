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
import { Table, Td, Th } from "@/components/ui/table";
import type { AppRouter } from "@/server/trpc/root";

import { OneTimeSecret } from "./one-time-secret";

type Token = inferRouterOutputs<AppRouter>["enrollment"]["listTokens"][number];

const tokenName = (t: Pick<Token, "id" | "label">) => t.label || `Token #${t.id}`;

function TokenStatus({ token }: { token: Token }) {
  if (token.revokedAt) return <Badge tone="neutral">Revoked</Badge>;
  if (!token.active) return <Badge tone="warning">Expired</Badge>;
  return <Badge tone="success">Active</Badge>;
}

export function EnrollmentTokens({ initial }: { initial: Token[] }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { data: tokens } = useQuery(trpc.enrollment.listTokens.queryOptions(undefined, { initialData: initial }));
  const [label, setLabel] = useState("");
  const [revoking, setRevoking] = useState<Token | null>(null);
  const refresh = () => queryClient.invalidateQueries(trpc.enrollment.pathFilter());
  const create = useMutation(
    trpc.enrollment.createToken.mutationOptions({
      onSuccess: () => {
        setLabel("");
        void refresh();
      },
    }),
  );
  const revoke = useMutation(
    trpc.enrollment.revokeToken.mutationOptions({
      onSuccess: () => {
        setRevoking(null);
        void refresh();
      },
    }),
  );
  const created = create.data;

  return (
    <div className="space-y-4">
      <Card className="p-5">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate({ label: label.trim() || undefined });
          }}
        >
          <EditFieldset className="flex flex-wrap items-end gap-3">
            <div className="min-w-64 flex-1">
              <Label htmlFor="enrollment-token-label">Label</Label>
              <Input id="enrollment-token-label" className="mt-1" placeholder="e.g. Design team, spring 2026" maxLength={200} value={label} onChange={(e) => setLabel(e.target.value)} />
            </div>
            <EditButton type="submit" disabled={create.isPending}>
              {create.isPending ? "Creating…" : "Create enrollment token"}
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
            name="New enrollment link"
            title="Copy the enrollment link now: the token is shown only once and stored hashed."
            hint="Open the link on a Mac to download its enrollment profile."
            fields={[
              { id: "new-enrollment-link", label: "Enrollment link", value: created.url, copyLabel: "Copy enrollment link" },
              { id: "new-enrollment-token", label: "Token", value: created.token, copyLabel: "Copy token" },
            ]}
            onDone={() => create.reset()}
          />
        ) : null}
      </Card>

      {tokens.length === 0 ? (
        <p className="rounded-lg border border-dashed border-line bg-surface px-5 py-6 text-center text-sm text-muted">No enrollment tokens yet. Create one to enroll Macs.</p>
      ) : (
        <Table aria-label="Enrollment tokens">
          <thead>
            <tr>
              <Th>Label</Th>
              <Th>Created</Th>
              <Th>Last used</Th>
              <Th className="text-right">Uses</Th>
              <Th>Status</Th>
              <Th>
                <span className="sr-only">Actions</span>
              </Th>
            </tr>
          </thead>
          <tbody>
            {tokens.map((t) => (
              <tr key={t.id}>
                <Td className="font-medium">{tokenName(t)}</Td>
                <Td className="whitespace-nowrap">
                  <LocalTime value={t.createdAt} />
                </Td>
                <Td className="whitespace-nowrap">{t.lastUsedAt ? <LocalTime value={t.lastUsedAt} /> : <span className="text-muted">Never</span>}</Td>
                <Td className="text-right tabular-nums">{t.useCount}</Td>
                <Td>
                  <TokenStatus token={t} />
                  {t.expiresAt && !t.revokedAt ? (
                    <div className="mt-0.5 text-xs text-muted">
                      {t.active ? "Expires" : "Expired"} <LocalTime value={t.expiresAt} />
                    </div>
                  ) : null}
                </Td>
                <Td className="text-right">
                  {t.active ? (
                    <EditButton
                      variant="secondary"
                      size="sm"
                      aria-label={`Revoke ${tokenName(t)}`}
                      onClick={() => {
                        revoke.reset();
                        setRevoking(t);
                      }}
                    >
                      Revoke
                    </EditButton>
                  ) : null}
                </Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}

      <ConfirmDialog
        open={revoking !== null}
        onClose={() => setRevoking(null)}
        onConfirm={() => revoking && revoke.mutate({ id: revoking.id })}
        title={`Revoke “${revoking ? tokenName(revoking) : ""}”?`}
        description="Macs can no longer enroll with this token. Macs already enrolled with it stay enrolled."
        confirmLabel="Revoke token"
        pending={revoke.isPending}
        error={revoke.isError ? revoke.error.message : null}
      />
    </div>
  );
}

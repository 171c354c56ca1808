"use client";

import { useState } from "react";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";

import { useTRPC } from "@/app/_trpc/client";
import { EditButton, EditFieldset } from "@/components/auth/edit-controls";
import { READ_ONLY_TITLE, useCanEdit, useSessionUser, type Role } from "@/components/auth/role-context";
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

type Account = inferRouterOutputs<AppRouter>["users"]["list"][number];

const ROLE_LABELS: Record<Role, string> = { admin: "Admin", auditor: "Auditor (read-only)" };
const article = (role: Role) => (role === "admin" ? "an admin" : "an auditor");

export function Accounts({ initial }: { initial: Account[] }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const me = useSessionUser();
  const canEdit = useCanEdit();
  const { data: accounts } = useQuery(trpc.users.list.queryOptions(undefined, { initialData: initial }));
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("admin");
  const [roleChange, setRoleChange] = useState<{ account: Account; role: Role } | null>(null);
  const [resetting, setResetting] = useState<Account | null>(null);
  const [deleting, setDeleting] = useState<Account | null>(null);
  const [secret, setSecret] = useState<{ kind: "created" | "reset"; email: string; password: string } | null>(null);
  const refresh = () => queryClient.invalidateQueries(trpc.users.pathFilter());

  const create = useMutation(
    trpc.users.create.mutationOptions({
      onSuccess: (r) => {
        setEmail("");
        setName("");
        setSecret({ kind: "created", email: r.email, password: r.password });
        void refresh();
      },
    }),
  );
  const changeRole = useMutation(
    trpc.users.setRole.mutationOptions({
      onSuccess: (r) => {
        if (r.id === me?.id) {
          window.location.assign("/login");
          return;
        }
        setRoleChange(null);
        void refresh();
      },
    }),
  );
  const reset = useMutation(
    trpc.users.resetPassword.mutationOptions({
      onSuccess: (r) => {
        setResetting(null);
        setSecret({ kind: "reset", email: r.email, password: r.password });
        void refresh();
      },
    }),
  );
  const remove = useMutation(
    trpc.users.delete.mutationOptions({
      onSuccess: () => {
        setDeleting(null);
        void refresh();
      },
    }),
  );

  return (
    <div className="space-y-4">
      <Card className="p-5">
        <form
          aria-label="New account"
          onSubmit={(e) => {
            e.preventDefault();
            setSecret(null);
            if (email.trim()) create.mutate({ email: email.trim(), name: name.trim(), role });
          }}
        >
          <EditFieldset className="flex flex-wrap items-end gap-3">
            <div className="min-w-56 flex-1">
              <Label htmlFor="new-account-email">Email</Label>
              <Input id="new-account-email" type="email" autoComplete="off" className="mt-1" placeholder="someone@example.com" maxLength={254} required value={email} onChange={(e) => setEmail(e.target.value)} />
            </div>
            <div className="min-w-44 flex-1">
              <Label htmlFor="new-account-name">Name</Label>
              <Input id="new-account-name" autoComplete="off" className="mt-1" placeholder="Optional" maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
            </div>
            <div>
              <Label htmlFor="new-account-role">Role</Label>
              <Select id="new-account-role" className="mt-1" value={role} onChange={(e) => setRole(e.target.value as Role)}>
                <option value="admin">{ROLE_LABELS.admin}</option>
                <option value="auditor">{ROLE_LABELS.auditor}</option>
              </Select>
            </div>
            <EditButton type="submit" disabled={create.isPending || !email.trim()}>
              {create.isPending ? "Creating…" : "New account"}
            </EditButton>
          </EditFieldset>
        </form>
        {create.isError ? (
          <Alert tone="danger" role="alert" className="mt-4">
            {create.error.message}
          </Alert>
        ) : null}
        {secret ? (
          <OneTimeSecret
            name={secret.kind === "created" ? "New account’s password" : "Reset password result"}
            title={
              secret.kind === "created"
                ? `Account ${secret.email} created. Copy its password now: it is shown only once.`
                : `Password of ${secret.email} reset. Copy it now: it is shown only once.`
            }
            hint="Give it to the person over a safe channel. They can change it in Settings → Your password after signing in."
            fields={[
              { id: "account-secret-email", label: "Email", value: secret.email, copyLabel: "Copy email" },
              { id: "account-secret-password", label: "Password", value: secret.password, copyLabel: "Copy password" },
            ]}
            onDone={() => setSecret(null)}
          />
        ) : null}
      </Card>

      {accounts.length === 0 ? (
        <p className="rounded-lg border border-dashed border-line bg-surface px-5 py-6 text-center text-sm text-muted">No accounts yet.</p>
      ) : (
        <Table aria-label="Accounts">
          <thead>
            <tr>
              <Th>Account</Th>
              <Th>Role</Th>
              <Th className="text-right">Sessions</Th>
              <Th>Last sign-in</Th>
              <Th>
                <span className="sr-only">Actions</span>
              </Th>
            </tr>
          </thead>
          <tbody>
            {accounts.map((a) => {
              const isMe = a.id === me?.id;
              return (
                <tr key={a.id}>
                  <Td>
                    <span className="font-medium break-words">{a.email}</span>
                    {isMe ? (
                      <Badge tone="brand" className="ml-2">
                        You
                      </Badge>
                    ) : null}
                    {a.name && a.name !== a.email ? <div className="text-xs text-muted">{a.name}</div> : null}
                  </Td>
                  <Td>
                    <Select
                      size="sm"
                      aria-label={`Role of ${a.email}`}
                      value={a.role}
                      disabled={!canEdit}
                      title={canEdit ? undefined : READ_ONLY_TITLE}
                      onChange={(e) => {
                        changeRole.reset();
                        setRoleChange({ account: a, role: e.target.value as Role });
                      }}
                    >
                      <option value="admin">Admin</option>
                      <option value="auditor">Auditor</option>
                    </Select>
                  </Td>
                  <Td className="text-right tabular-nums">{a.sessions}</Td>
                  <Td className="whitespace-nowrap">{a.lastSignInAt ? <LocalTime value={a.lastSignInAt} /> : <span className="text-muted">No live session</span>}</Td>
                  <Td className="text-right whitespace-nowrap">
                    {isMe ? (
                      <span className="text-xs text-muted">Change yours below</span>
                    ) : (
                      <div className="flex justify-end gap-2">
                        <EditButton
                          variant="secondary"
                          size="sm"
                          aria-label={`Reset password of ${a.email}`}
                          onClick={() => {
                            reset.reset();
                            setResetting(a);
                          }}
                        >
                          Reset password
                        </EditButton>
                        <EditButton
                          variant="secondary"
                          size="sm"
                          aria-label={`Delete ${a.email}`}
                          onClick={() => {
                            remove.reset();
                            setDeleting(a);
                          }}
                        >
                          Delete
                        </EditButton>
                      </div>
                    )}
                  </Td>
                </tr>
              );
            })}
          </tbody>
        </Table>
      )}

      <ConfirmDialog
        open={roleChange !== null}
        onClose={() => setRoleChange(null)}
        onConfirm={() => roleChange && changeRole.mutate({ id: roleChange.account.id, role: roleChange.role })}
        title={roleChange ? `Make ${roleChange.account.email} ${article(roleChange.role)}?` : ""}
        description={
          roleChange?.account.id === me?.id
            ? "Your sessions end now, this one included: you sign in again with the new role."
            : `Their sessions end now (${roleChange?.account.sessions ?? 0} open): the new role applies when they sign in again.`
        }
        confirmLabel="Change role"
        pending={changeRole.isPending}
        error={changeRole.isError ? changeRole.error.message : null}
      />
      <ConfirmDialog
        open={resetting !== null}
        onClose={() => setResetting(null)}
        onConfirm={() => resetting && reset.mutate({ id: resetting.id })}
        title={`Reset the password of ${resetting?.email ?? ""}?`}
        description="Pomona generates a new password and shows it once. The current one stops working and their sessions end."
        confirmLabel="Reset password"
        pending={reset.isPending}
        error={reset.isError ? reset.error.message : null}
      />
      <ConfirmDialog
        open={deleting !== null}
        onClose={() => setDeleting(null)}
        onConfirm={() => deleting && remove.mutate({ id: deleting.id })}
        title={`Delete ${deleting?.email ?? ""}?`}
        description="They can no longer sign in, and their sessions end now. Their entries in the audit log stay."
        confirmLabel="Delete account"
        pending={remove.isPending}
        error={remove.isError ? remove.error.message : null}
      />
    </div>
  );
}

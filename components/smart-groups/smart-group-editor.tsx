"use client";

import { useMemo, useRef, useState } from "react";

import Link from "next/link";
import { useRouter } from "next/navigation";

import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { TRPCClientErrorLike } from "@trpc/client";
import type { inferRouterOutputs } from "@trpc/server";

import { useTRPC } from "@/app/_trpc/client";
import { EditButton } from "@/components/auth/edit-controls";
import { useCanEdit } from "@/components/auth/role-context";
import { Alert } from "@/components/ui/alert";
import { Button, buttonVariants } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { ConfirmDialog } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { FieldError, Label } from "@/components/ui/label";
import { Textarea } from "@/components/ui/textarea";
import type { AppRouter } from "@/server/trpc/root";

import { CriterionRow, type CriterionDraft } from "./criterion-row";
import { defaultValueFor, operatorsFor } from "./fields";
import { SmartGroupPreview } from "./smart-group-preview";
import { useDebouncedValue } from "./use-debounced-value";

type StoredGroup = inferRouterOutputs<AppRouter>["smartGroups"]["get"];
type Criterion = StoredGroup["criteria"][number];

const PREVIEW_DEBOUNCE_MS = 400;
const PREVIEW_REFRESH_MS = 10_000;
const PREVIEW_SAMPLE = 10;

/** A readable message from a tRPC error: zod field problems one per line, else the server's message. */
export function errorMessage(error: TRPCClientErrorLike<AppRouter>): string {
  const fields = error.data?.fields;
  if (fields && fields.length > 0) return fields.map((f) => (f.path ? `${f.path}: ${f.message}` : f.message)).join("\n");
  return error.message;
}

function toPayload(rows: CriterionDraft[]): Criterion[] {
  return rows.map((r, i) => ({
    joiner: i === 0 ? "and" : r.joiner,
    openParen: r.openParen,
    field: r.field,
    operator: r.operator,
    value: r.value,
    closeParen: r.closeParen,
  }));
}

/** Rows whose "(" is never closed: the engine reports these without a row, the editor shows them on the row. */
function unclosedOpenRows(criteria: Criterion[]): number[] {
  const open: number[] = [];
  criteria.forEach((c, i) => {
    if (c.openParen) open.push(i);
    if (c.closeParen && open.length > 0) open.pop();
  });
  return open;
}

export function SmartGroupEditor({ group, groupNames }: { group?: StoredGroup; groupNames: string[] }) {
  const canEdit = useCanEdit();
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const nextKey = useRef(0);
  const draft = (c: Partial<Criterion> & { field: string }): CriterionDraft => ({
    key: nextKey.current++,
    joiner: c.joiner ?? "and",
    openParen: c.openParen ?? false,
    field: c.field,
    operator: c.operator ?? operatorsFor(c.field)[0] ?? "",
    value: c.value ?? defaultValueFor(c.field),
    closeParen: c.closeParen ?? false,
    touched: c.value !== undefined && c.value !== "",
  });

  const [name, setName] = useState(group?.name ?? "");
  const [description, setDescription] = useState(group?.description ?? "");
  const [rows, setRows] = useState<CriterionDraft[]>(() => (group ? group.criteria.map((c) => draft(c)) : [draft({ field: "Computer Name", operator: "like" })]));
  const [nameError, setNameError] = useState<string | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);

  const payloadKey = JSON.stringify(toPayload(rows));
  const debouncedKey = useDebouncedValue(payloadKey, PREVIEW_DEBOUNCE_MS);
  const debouncedCriteria = useMemo(() => JSON.parse(debouncedKey) as Criterion[], [debouncedKey]);
  const preview = useQuery(
    trpc.smartGroups.preview.queryOptions(
      { criteria: debouncedCriteria, id: group?.id, sampleSize: PREVIEW_SAMPLE },
      { placeholderData: keepPreviousData, refetchInterval: PREVIEW_REFRESH_MS, retry: false },
    ),
  );

  const { rowErrors, generalErrors } = useMemo(() => {
    const byRow = new Map<number, string[]>();
    const general: string[] = [];
    const data = preview.data;
    if (data && !data.ok) {
      const unclosed = unclosedOpenRows(debouncedCriteria);
      const add = (i: number, m: string) => byRow.set(i, [...(byRow.get(i) ?? []), m]);
      for (const e of data.errors) {
        if (e.index !== undefined && !rows[e.index]?.touched && / needs a value$/.test(e.message)) continue;
        if (e.index !== undefined) add(e.index, e.message);
        else if (/never closed/.test(e.message) && unclosed.length > 0) for (const i of unclosed) add(i, "This parenthesis is never closed");
        else general.push(e.message);
      }
    }
    return { rowErrors: byRow, generalErrors: general };
  }, [preview.data, debouncedCriteria, rows]);

  // The list is a Server Component: navigate and refresh it; computer pages show memberships, so refetch those.
  const onSaved = () => {
    router.push("/smart-groups");
    router.refresh();
    void queryClient.invalidateQueries(trpc.computers.pathFilter());
  };
  const create = useMutation(trpc.smartGroups.create.mutationOptions({ onSuccess: onSaved }));
  const update = useMutation(trpc.smartGroups.update.mutationOptions({ onSuccess: onSaved }));
  const remove = useMutation(trpc.smartGroups.delete.mutationOptions({ onSuccess: onSaved }));
  const saving = create.isPending || update.isPending;
  const saveError = create.error ?? update.error;

  const patchRow = (key: number, patch: Partial<CriterionDraft>) =>
    setRows((rs) => rs.map((r) => (r.key === key ? { ...r, ...patch, touched: r.touched || patch.value !== undefined } : r)));
  const changeField = (key: number, field: string) =>
    setRows((rs) => rs.map((r) => (r.key === key ? { ...r, field, operator: operatorsFor(field)[0] ?? "", value: defaultValueFor(field), touched: defaultValueFor(field) !== "" } : r)));
  const moveRow = (index: number, delta: -1 | 1) =>
    setRows((rs) => {
      const target = index + delta;
      if (target < 0 || target >= rs.length) return rs;
      const next = [...rs];
      [next[index], next[target]] = [next[target]!, next[index]!];
      return next;
    });

  function save(e: React.FormEvent) {
    e.preventDefault();
    setRows((rs) => (rs.every((r) => r.touched) ? rs : rs.map((r) => ({ ...r, touched: true }))));
    if (name.trim() === "") {
      setNameError("The name is required");
      return;
    }
    setNameError(null);
    const criteria = toPayload(rows);
    if (group) update.mutate({ id: group.id, name, description, criteria });
    else create.mutate({ name, description, criteria });
  }

  return (
    <form onSubmit={save} noValidate className="space-y-6">
      {canEdit ? null : (
        <Alert tone="info" role="status" title="Read-only">
          Your role is auditor: you can try criteria and see the preview, but not save or delete the group.
        </Alert>
      )}
      <Card className="grid gap-4 p-5 md:grid-cols-2">
        <div>
          <Label htmlFor="smart-group-name">Name</Label>
          <Input
            id="smart-group-name"
            className="mt-1"
            value={name}
            maxLength={255}
            invalid={nameError !== null}
            aria-describedby={nameError ? "smart-group-name-error" : undefined}
            onChange={(e) => {
              setName(e.target.value);
              if (nameError) setNameError(null);
            }}
          />
          {nameError ? <FieldError id="smart-group-name-error">{nameError}</FieldError> : null}
        </div>
        <div>
          <Label htmlFor="smart-group-description">Description</Label>
          <Textarea id="smart-group-description" className="mt-1 min-h-9" rows={1} maxLength={2000} value={description} onChange={(e) => setDescription(e.target.value)} />
        </div>
      </Card>

      <section aria-labelledby="criteria-heading">
        <div className="mb-3 flex items-end justify-between gap-3">
          <div>
            <h2 id="criteria-heading" className="text-base font-semibold">
              Criteria
            </h2>
            <p className="mt-0.5 text-sm text-muted">“and” binds tighter than “or”; parentheses group criteria. Text comparisons ignore case.</p>
          </div>
          <Button type="button" variant="secondary" onClick={() => setRows((rs) => [...rs, draft({ field: "Computer Name", operator: "like" })])}>
            Add criterion
          </Button>
        </div>
        <Card>
          {rows.length === 0 ? (
            <p className="px-5 py-6 text-center text-sm text-muted">No criteria: every computer is a member. Add a criterion to narrow the group.</p>
          ) : (
            <ol aria-label="Criteria" className="divide-y divide-line">
              {rows.map((row, index) => (
                <CriterionRow
                  key={row.key}
                  row={row}
                  index={index}
                  count={rows.length}
                  groupNames={groupNames}
                  errors={rowErrors.get(index) ?? []}
                  onChange={(patch) => patchRow(row.key, patch)}
                  onFieldChange={(field) => changeField(row.key, field)}
                  onMove={(delta) => moveRow(index, delta)}
                  onRemove={() => setRows((rs) => rs.filter((r) => r.key !== row.key))}
                />
              ))}
            </ol>
          )}
          {generalErrors.length > 0 ? (
            <ul aria-label="Criteria problems" className="space-y-0.5 border-t border-line bg-red-50/60 px-5 py-3 text-sm font-medium text-red-700">
              {generalErrors.map((m) => (
                <li key={m}>{m}</li>
              ))}
            </ul>
          ) : null}
        </Card>
      </section>

      <SmartGroupPreview
        preview={preview.data}
        fetching={preview.isFetching}
        failed={preview.isError ? preview.error.message : null}
        empty={debouncedCriteria.length === 0}
        incomplete={rowErrors.size === 0 && generalErrors.length === 0}
      />

      {saveError ? (
        <Alert tone="danger" role="alert" title="The smart group was not saved">
          <p className="whitespace-pre-line">{errorMessage(saveError)}</p>
        </Alert>
      ) : null}

      <div className="flex flex-wrap items-center justify-between gap-3 border-t border-line pt-4">
        <div className="flex items-center gap-2">
          <EditButton type="submit" disabled={saving}>
            {saving ? "Saving…" : group ? "Save changes" : "Create smart group"}
          </EditButton>
          <Link href="/smart-groups" className={buttonVariants({ variant: "ghost" })}>
            Cancel
          </Link>
        </div>
        {group ? (
          <EditButton
            type="button"
            variant="danger"
            onClick={() => {
              remove.reset();
              setConfirmDelete(true);
            }}
          >
            Delete smart group
          </EditButton>
        ) : null}
      </div>

      {group ? (
        <ConfirmDialog
          open={confirmDelete}
          onClose={() => setConfirmDelete(false)}
          onConfirm={() => remove.mutate({ id: group.id })}
          title={`Delete “${group.name}”?`}
          description={`The group and its membership of ${group.memberCount} ${group.memberCount === 1 ? "computer" : "computers"} are removed. Computers themselves are not affected.`}
          confirmLabel="Delete"
          pending={remove.isPending}
          error={remove.isError ? remove.error.message : null}
        />
      ) : null}
    </form>
  );
}

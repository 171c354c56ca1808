"use client";

import { useState } from "react";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";

import { useTRPC } from "@/app/_trpc/client";
import { EditButton, EditFieldset } from "@/components/auth/edit-controls";
import { Alert } from "@/components/ui/alert";
import { Card } from "@/components/ui/card";
import { LocalTime } from "@/components/ui/format";
import { Input } from "@/components/ui/input";
import { FieldError, FieldHint, Label } from "@/components/ui/label";
import { Select } from "@/components/ui/select";
import type { AppRouter } from "@/server/trpc/root";

type Settings = inferRouterOutputs<AppRouter>["system"]["settings"];
type DurationKey = "dispatchWindowMs" | "retryIntervalMs" | "inventoryIntervalMs" | "confirmationDelayMs";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const UNITS = [
  { value: "minutes", ms: MINUTE },
  { value: "hours", ms: HOUR },
  { value: "days", ms: DAY },
] as const;
type Unit = (typeof UNITS)[number]["value"];
const unitMs = (u: Unit) => UNITS.find((x) => x.value === u)!.ms;

/** DESIGN §3.4 durations with their defaults; the bounds mirror server/services/settings.ts (ZSettings), which decides. */
const DURATIONS: { key: DurationKey; label: string; hint: string; min: number; max: number; defaultMs: number }[] = [
  { key: "dispatchWindowMs", label: "Inventory check before install", hint: "An App Installer queues InstalledApplicationList for each new target within this window.", min: MINUTE, max: DAY, defaultMs: 15 * MINUTE },
  { key: "retryIntervalMs", label: "Time between attempts", hint: "An install that errors, or stays unconfirmed this long, is tried again after this interval.", min: MINUTE, max: 30 * DAY, defaultMs: 6 * HOUR },
  { key: "inventoryIntervalMs", label: "Inventory update interval", hint: "How often each Mac's device information and installed apps are refreshed.", min: 15 * MINUTE, max: 30 * DAY, defaultMs: DAY },
  { key: "confirmationDelayMs", label: "Confirmation after an acknowledged install", hint: "Delay before the InstalledApplicationList that confirms an install (repeated while it is still installing).", min: 10_000, max: DAY, defaultMs: 5 * MINUTE },
];
const DEFAULT_ATTEMPTS = 3;

function describe(ms: number): string {
  if (ms % DAY === 0) return `${ms / DAY} ${ms === DAY ? "day" : "days"}`;
  if (ms % HOUR === 0) return `${ms / HOUR} ${ms === HOUR ? "hour" : "hours"}`;
  if (ms >= MINUTE) return `${+(ms / MINUTE).toFixed(2)} ${ms === MINUTE ? "minute" : "minutes"}`;
  return `${ms / 1000} seconds`;
}

type DurationDraft = { amount: string; unit: Unit };

function toDraft(ms: number): DurationDraft {
  const unit: Unit = ms % DAY === 0 ? "days" : ms % HOUR === 0 ? "hours" : "minutes";
  return { amount: String(+(ms / unitMs(unit)).toFixed(4)), unit };
}

type Draft = Record<DurationKey, DurationDraft> & { maxAttempts: string };

function draftOf(s: Pick<Settings, DurationKey | "maxAttempts">): Draft {
  return {
    dispatchWindowMs: toDraft(s.dispatchWindowMs),
    retryIntervalMs: toDraft(s.retryIntervalMs),
    inventoryIntervalMs: toDraft(s.inventoryIntervalMs),
    confirmationDelayMs: toDraft(s.confirmationDelayMs),
    maxAttempts: String(s.maxAttempts),
  };
}

export function SettingsForm({ initial }: { initial: Settings }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<Draft>(() => draftOf(initial));
  const [errors, setErrors] = useState<Partial<Record<DurationKey | "maxAttempts", string>>>({});
  const save = useMutation(
    trpc.system.updateSettings.mutationOptions({
      onSuccess: (saved) => {
        setDraft(draftOf(saved));
        void queryClient.invalidateQueries(trpc.system.pathFilter());
      },
    }),
  );

  function submit(e: React.FormEvent) {
    e.preventDefault();
    const next: typeof errors = {};
    const values: Partial<Record<DurationKey | "maxAttempts", number>> = {};
    for (const d of DURATIONS) {
      const amount = Number(draft[d.key].amount);
      const ms = Math.round(amount * unitMs(draft[d.key].unit));
      if (draft[d.key].amount.trim() === "" || !Number.isFinite(amount)) next[d.key] = "Enter a number";
      else if (ms < d.min || ms > d.max) next[d.key] = `Between ${describe(d.min)} and ${describe(d.max)}`;
      else values[d.key] = ms;
    }
    const attempts = Number(draft.maxAttempts);
    if (!Number.isInteger(attempts) || attempts < 1 || attempts > 10) next.maxAttempts = "A whole number from 1 to 10";
    else values.maxAttempts = attempts;
    setErrors(next);
    if (Object.keys(next).length > 0) return;
    save.mutate(values);
  }

  const setDuration = (key: DurationKey, patch: Partial<DurationDraft>) => {
    save.reset();
    setDraft((d) => ({ ...d, [key]: { ...d[key], ...patch } }));
  };

  return (
    <Card>
      <form onSubmit={submit} noValidate aria-label="App Installer timing">
        <EditFieldset className="divide-y divide-line">
          {DURATIONS.slice(0, 1).map((d) => (
            <DurationField key={d.key} spec={d} value={draft[d.key]} error={errors[d.key]} onChange={(p) => setDuration(d.key, p)} />
          ))}
          <div className="grid gap-2 px-5 py-4 md:grid-cols-[1fr_16rem] md:items-start md:gap-6">
            <div>
              <Label htmlFor="setting-maxAttempts">Install attempts</Label>
              <FieldHint>After this many attempts without success, the target is Failed with the last error. Default: {DEFAULT_ATTEMPTS}.</FieldHint>
            </div>
            <div>
              <Input
                id="setting-maxAttempts"
                type="number"
                min={1}
                max={10}
                step={1}
                className="w-24"
                value={draft.maxAttempts}
                invalid={Boolean(errors.maxAttempts)}
                onChange={(e) => {
                  save.reset();
                  setDraft((d) => ({ ...d, maxAttempts: e.target.value }));
                }}
              />
              {errors.maxAttempts ? <FieldError>{errors.maxAttempts}</FieldError> : null}
            </div>
          </div>
          {DURATIONS.slice(1).map((d) => (
            <DurationField key={d.key} spec={d} value={draft[d.key]} error={errors[d.key]} onChange={(p) => setDuration(d.key, p)} />
          ))}
        </EditFieldset>
        <div className="flex flex-wrap items-center justify-between gap-3 border-t border-line bg-canvas/60 px-5 py-3">
          <p className="text-xs text-muted">
            Clock: {initial.clock.simulated ? "simulated" : "system"} · now <LocalTime value={initial.clock.now} />
          </p>
          <div className="flex items-center gap-3">
            <p role="status" className="text-sm text-muted">
              {save.isSuccess ? "Settings saved" : null}
            </p>
            <EditButton
              type="button"
              variant="ghost"
              onClick={() => {
                save.reset();
                setErrors({});
                setDraft(draftOf({ ...Object.fromEntries(DURATIONS.map((d) => [d.key, d.defaultMs])), maxAttempts: DEFAULT_ATTEMPTS } as Pick<Settings, DurationKey | "maxAttempts">));
              }}
            >
              Restore defaults
            </EditButton>
            <EditButton type="submit" disabled={save.isPending}>
              {save.isPending ? "Saving…" : "Save settings"}
            </EditButton>
          </div>
        </div>
        {save.isError ? (
          <Alert tone="danger" role="alert" className="m-5 mt-0">
            {save.error.message}
          </Alert>
        ) : null}
      </form>
    </Card>
  );
}

function DurationField({
  spec,
  value,
  error,
  onChange,
}: {
  spec: (typeof DURATIONS)[number];
  value: DurationDraft;
  error?: string;
  onChange: (patch: Partial<DurationDraft>) => void;
}) {
  const id = `setting-${spec.key}`;
  return (
    <div className="grid gap-2 px-5 py-4 md:grid-cols-[1fr_16rem] md:items-start md:gap-6">
      <div>
        <Label htmlFor={id}>{spec.label}</Label>
        <FieldHint>
          {spec.hint} Default: {describe(spec.defaultMs)}.
        </FieldHint>
      </div>
      <div>
        <div className="flex gap-2">
          <Input
            id={id}
            type="number"
            min={0}
            step="any"
            className="w-24"
            value={value.amount}
            invalid={Boolean(error)}
            aria-describedby={error ? `${id}-error` : undefined}
            onChange={(e) => onChange({ amount: e.target.value })}
          />
          <Select aria-label={`${spec.label} unit`} value={value.unit} onChange={(e) => onChange({ unit: e.target.value as Unit })} className="w-32">
            {UNITS.map((u) => (
              <option key={u.value} value={u.value}>
                {u.value}
              </option>
            ))}
          </Select>
        </div>
        {error ? <FieldError id={`${id}-error`}>{error}</FieldError> : null}
      </div>
    </div>
  );
}

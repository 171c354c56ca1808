"use client";

import { Button } from "@/components/ui/button";
import { CopyButton } from "@/components/ui/copy-button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";

export type SecretField = { id: string; label: string; value: string; copyLabel: string };

/** A secret shown once after it is created (stored hashed, never shown again), with copy buttons. */
export function OneTimeSecret({ name, title, hint, fields, onDone }: { name: string; title: string; hint: React.ReactNode; fields: SecretField[]; onDone: () => void }) {
  return (
    <section aria-label={name} className="mt-4 rounded-md border border-brand-500/40 bg-brand-50 p-4">
      <p className="text-sm font-semibold text-brand-700">{title}</p>
      <p className="mt-0.5 text-sm text-muted">{hint}</p>
      <div className="mt-3 space-y-2">
        {fields.map((f) => (
          <div key={f.id}>
            <Label htmlFor={f.id} className="text-xs text-muted">
              {f.label}
            </Label>
            <div className="mt-1 flex gap-2">
              <Input id={f.id} readOnly value={f.value} className="font-mono text-xs" onFocus={(e) => e.currentTarget.select()} />
              <CopyButton value={f.value} label={f.copyLabel} />
            </div>
          </div>
        ))}
      </div>
      <div className="mt-3 flex justify-end">
        <Button type="button" variant="secondary" size="sm" onClick={onDone}>
          Done
        </Button>
      </div>
    </section>
  );
}

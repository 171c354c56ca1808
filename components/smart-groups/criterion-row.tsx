"use client";

import { Button } from "@/components/ui/button";
import { Checkbox } from "@/components/ui/checkbox";
import { cn } from "@/components/ui/cn";
import { Input } from "@/components/ui/input";
import { Select } from "@/components/ui/select";

import { ARCHITECTURES, FIELDS, operatorsFor, PLACEHOLDERS, valueKindOf, type CriterionField } from "./fields";

export type CriterionDraft = {
  key: number;
  joiner: "and" | "or";
  openParen: boolean;
  field: string;
  operator: string;
  value: string;
  closeParen: boolean;
  /** False until the value is edited (or Save is pressed): an empty value is not an error yet. */
  touched: boolean;
};

function ParenToggle({ label, checked, onChange, glyph }: { label: string; checked: boolean; onChange: (v: boolean) => void; glyph: "(" | ")" }) {
  return (
    <label className="relative block size-9 shrink-0" title={glyph === "(" ? "Opening parenthesis" : "Closing parenthesis"}>
      <Checkbox aria-label={label} checked={checked} onChange={(e) => onChange(e.target.checked)} className="peer absolute inset-0 z-10 size-full cursor-pointer opacity-0" />
      <span
        aria-hidden
        className={cn(
          "flex size-full items-center justify-center rounded-md border font-mono text-base select-none peer-focus-visible:ring-2 peer-focus-visible:ring-brand-500",
          checked ? "border-brand-500 bg-brand-50 font-semibold text-brand-700" : "border-line bg-surface text-muted/60 peer-hover:text-ink",
        )}
      >
        {glyph}
      </span>
    </label>
  );
}

export function CriterionRow({
  row,
  index,
  count,
  groupNames,
  errors,
  onChange,
  onFieldChange,
  onMove,
  onRemove,
}: {
  row: CriterionDraft;
  index: number;
  count: number;
  groupNames: string[];
  errors: string[];
  onChange: (patch: Partial<CriterionDraft>) => void;
  onFieldChange: (field: string) => void;
  onMove: (delta: -1 | 1) => void;
  onRemove: () => void;
}) {
  const n = index + 1;
  const kind = valueKindOf(row.field);
  const invalid = errors.length > 0;
  const errorId = `criterion-${row.key}-errors`;
  const valueProps = {
    "aria-label": `Criterion ${n} value`,
    "aria-describedby": invalid ? errorId : undefined,
    invalid,
  };
  const groupOptions = row.value && !groupNames.some((g) => g.toLowerCase() === row.value.toLowerCase()) ? [row.value, ...groupNames] : groupNames;

  return (
    <li aria-label={`Criterion ${n}`} className={cn("px-4 py-3", invalid && "bg-red-50/60")}>
      <div className="flex flex-wrap items-center gap-2">
        <div className="w-24 shrink-0">
          {index === 0 ? (
            <span className="block pl-1 text-sm text-muted">Where</span>
          ) : (
            <Select aria-label={`Criterion ${n} joiner`} value={row.joiner} onChange={(e) => onChange({ joiner: e.target.value as "and" | "or" })} className="w-full">
              <option value="and">and</option>
              <option value="or">or</option>
            </Select>
          )}
        </div>
        <ParenToggle glyph="(" label={`Criterion ${n} opening parenthesis`} checked={row.openParen} onChange={(openParen) => onChange({ openParen })} />
        <Select aria-label={`Criterion ${n} field`} value={row.field} onChange={(e) => onFieldChange(e.target.value)} className="w-52">
          {FIELDS.map((f) => (
            <option key={f} value={f}>
              {f}
            </option>
          ))}
        </Select>
        <Select aria-label={`Criterion ${n} operator`} value={row.operator} onChange={(e) => onChange({ operator: e.target.value })} className="w-56">
          {operatorsFor(row.field).map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </Select>
        <div className="flex min-w-48 flex-1 items-center gap-2">
          {kind === "architecture" ? (
            <Select {...valueProps} value={row.value} onChange={(e) => onChange({ value: e.target.value })} className="w-full">
              {ARCHITECTURES.map((a) => (
                <option key={a.value} value={a.value}>
                  {a.label}
                </option>
              ))}
            </Select>
          ) : kind === "group" ? (
            <Select {...valueProps} value={row.value} onChange={(e) => onChange({ value: e.target.value })} className="w-full">
              <option value="">Choose a smart group…</option>
              {groupOptions.map((g) => (
                <option key={g} value={g}>
                  {g}
                </option>
              ))}
            </Select>
          ) : kind === "days" ? (
            <>
              <Input {...valueProps} type="number" min={0} step={1} inputMode="numeric" value={row.value} onChange={(e) => onChange({ value: e.target.value })} className="w-24" />
              <span className="text-sm text-muted">days ago</span>
            </>
          ) : (
            <Input
              {...valueProps}
              type="text"
              value={row.value}
              placeholder={PLACEHOLDERS[row.field as CriterionField]}
              onChange={(e) => onChange({ value: e.target.value })}
              className={cn("w-full", row.operator === "matches regex" && "font-mono")}
              spellCheck={false}
            />
          )}
        </div>
        <ParenToggle glyph=")" label={`Criterion ${n} closing parenthesis`} checked={row.closeParen} onChange={(closeParen) => onChange({ closeParen })} />
        <div className="flex shrink-0 items-center gap-1">
          <Button type="button" variant="ghost" size="sm" className="w-8 px-0" aria-label={`Move criterion ${n} up`} disabled={index === 0} onClick={() => onMove(-1)}>
            <span aria-hidden>↑</span>
          </Button>
          <Button type="button" variant="ghost" size="sm" className="w-8 px-0" aria-label={`Move criterion ${n} down`} disabled={index === count - 1} onClick={() => onMove(1)}>
            <span aria-hidden>↓</span>
          </Button>
          <Button type="button" variant="ghost" size="sm" className="w-8 px-0 hover:text-red-700" aria-label={`Remove criterion ${n}`} onClick={onRemove}>
            <span aria-hidden>✕</span>
          </Button>
        </div>
      </div>
      {invalid ? (
        <ul id={errorId} className="mt-2 space-y-0.5 pl-[6.5rem] text-sm font-medium text-red-700">
          {errors.map((m) => (
            <li key={m}>{m}</li>
          ))}
        </ul>
      ) : null}
    </li>
  );
}

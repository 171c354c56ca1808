import type { ComponentProps } from "react";

import { cn } from "@/components/ui/cn";

const control =
  "w-full rounded-md border border-line bg-surface px-3 text-sm text-ink focus-visible:ring-2 focus-visible:ring-brand-500 focus-visible:outline-none disabled:cursor-not-allowed disabled:bg-canvas disabled:text-muted aria-invalid:border-red-500";

export function Field({ label, htmlFor, hint, children, className }: { label: string; htmlFor: string; hint?: React.ReactNode; children: React.ReactNode; className?: string }) {
  return (
    <div className={cn("space-y-1.5", className)}>
      <label htmlFor={htmlFor} className="block text-sm font-medium">
        {label}
      </label>
      {children}
      {hint ? <p className="text-xs text-muted">{hint}</p> : null}
    </div>
  );
}

export function TextInput({ className, ...props }: ComponentProps<"input">) {
  return <input className={cn(control, "h-9", className)} {...props} />;
}

export function SelectInput({ className, ...props }: ComponentProps<"select">) {
  return <select className={cn(control, "h-9 pr-8", className)} {...props} />;
}

export function TextArea({ className, ...props }: ComponentProps<"textarea">) {
  return <textarea className={cn(control, "min-h-20 py-2", className)} {...props} />;
}

export function CheckboxField({ label, hint, className, ...props }: Omit<ComponentProps<"input">, "type"> & { label: string; hint?: React.ReactNode }) {
  return (
    <label className={cn("flex items-start gap-3 text-sm", props.disabled && "text-muted", className)}>
      <input type="checkbox" className="mt-0.5 size-4 shrink-0 rounded border-line accent-brand-600" {...props} />
      <span>
        <span className="font-medium">{label}</span>
        {hint ? <span className="mt-0.5 block text-xs text-muted">{hint}</span> : null}
      </span>
    </label>
  );
}

export function RadioCard({ label, hint, className, ...props }: Omit<ComponentProps<"input">, "type"> & { label: string; hint?: string }) {
  return (
    <label
      className={cn(
        "flex cursor-pointer items-start gap-3 rounded-md border border-line bg-surface px-3 py-2.5 text-sm has-checked:border-brand-500 has-checked:bg-brand-50 has-focus-visible:ring-2 has-focus-visible:ring-brand-500",
        className,
      )}
    >
      <input type="radio" className="mt-0.5 size-4 shrink-0 accent-brand-600" {...props} />
      <span>
        <span className="font-medium">{label}</span>
        {hint ? <span className="mt-0.5 block text-xs text-muted">{hint}</span> : null}
      </span>
    </label>
  );
}

import type { ComponentProps } from "react";

import { cva, type VariantProps } from "class-variance-authority";

import { cn } from "./cn";

export const textareaVariants = cva(
  "block w-full rounded-md border bg-surface px-3 py-2 text-sm text-ink placeholder:text-muted/70 focus-visible:ring-2 focus-visible:ring-brand-500 focus-visible:outline-none disabled:opacity-60",
  {
    variants: {
      mono: { true: "font-mono text-xs", false: "" },
      invalid: { true: "border-red-400 focus-visible:ring-red-500", false: "border-line" },
    },
    defaultVariants: { mono: false, invalid: false },
  },
);

export function Textarea({ className, mono, invalid, ...props }: ComponentProps<"textarea"> & VariantProps<typeof textareaVariants>) {
  return <textarea className={cn(textareaVariants({ mono, invalid }), className)} aria-invalid={invalid ? true : undefined} {...props} />;
}

import type { ComponentProps } from "react";

import { cva, type VariantProps } from "class-variance-authority";

import { cn } from "./cn";

export const inputVariants = cva(
  "w-full rounded-md border bg-surface px-3 text-sm text-ink placeholder:text-muted/70 focus-visible:ring-2 focus-visible:ring-brand-500 focus-visible:outline-none disabled:cursor-not-allowed disabled:opacity-60",
  {
    variants: {
      size: { sm: "h-8", md: "h-9" },
      invalid: { true: "border-red-400 focus-visible:ring-red-500", false: "border-line" },
    },
    defaultVariants: { size: "md", invalid: false },
  },
);

export function Input({ className, size, invalid, ...props }: Omit<ComponentProps<"input">, "size"> & VariantProps<typeof inputVariants>) {
  return <input className={cn(inputVariants({ size, invalid }), className)} aria-invalid={invalid ? true : undefined} {...props} />;
}

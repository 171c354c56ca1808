import type { ComponentProps } from "react";

import { cva, type VariantProps } from "class-variance-authority";

import { cn } from "./cn";

export const selectVariants = cva(
  "rounded-md border bg-surface pr-8 pl-2.5 text-sm text-ink focus-visible:ring-2 focus-visible:ring-brand-500 focus-visible:outline-none disabled:opacity-60",
  {
    variants: {
      size: { sm: "h-8", md: "h-9" },
      invalid: { true: "border-red-400", false: "border-line" },
    },
    defaultVariants: { size: "md", invalid: false },
  },
);

export function Select({ className, size, invalid, ...props }: Omit<ComponentProps<"select">, "size"> & VariantProps<typeof selectVariants>) {
  return <select className={cn(selectVariants({ size, invalid }), className)} aria-invalid={invalid ? true : undefined} {...props} />;
}

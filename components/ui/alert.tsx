import type { ComponentProps } from "react";

import { cva, type VariantProps } from "class-variance-authority";

import { cn } from "./cn";

export const alertVariants = cva("rounded-md border px-4 py-3 text-sm", {
  variants: {
    tone: {
      info: "border-sky-200 bg-sky-50 text-sky-900",
      success: "border-emerald-200 bg-emerald-50 text-emerald-900",
      warning: "border-amber-300 bg-amber-50 text-amber-900",
      danger: "border-red-200 bg-red-50 text-red-900",
    },
  },
  defaultVariants: { tone: "info" },
});

/** A banner. Pass role="alert" for problems that appear after an action, role="status" for quiet notes. */
export function Alert({ className, tone, title, children, ...props }: ComponentProps<"div"> & VariantProps<typeof alertVariants> & { title?: string }) {
  return (
    <div className={cn(alertVariants({ tone }), className)} {...props}>
      {title ? <p className="font-semibold">{title}</p> : null}
      {children ? <div className={title ? "mt-1" : undefined}>{children}</div> : null}
    </div>
  );
}

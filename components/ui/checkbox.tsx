import type { ComponentProps } from "react";

import { cn } from "./cn";

export function Checkbox({ className, ...props }: Omit<ComponentProps<"input">, "type">) {
  return <input type="checkbox" className={cn("size-4 rounded border-line accent-brand-600 focus-visible:ring-2 focus-visible:ring-brand-500 focus-visible:outline-none", className)} {...props} />;
}

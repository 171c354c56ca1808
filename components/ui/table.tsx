import type { ComponentProps } from "react";

import { cn } from "./cn";

export function Table({ className, ...props }: ComponentProps<"table">) {
  return (
    <div className="overflow-x-auto rounded-lg border border-line bg-surface">
      <table className={cn("w-full border-collapse text-left text-sm [&>tbody>tr:last-child>td]:border-b-0", className)} {...props} />
    </div>
  );
}

export function Th({ className, ...props }: ComponentProps<"th">) {
  return <th scope="col" className={cn("border-b border-line bg-canvas px-4 py-2.5 text-xs font-semibold tracking-wide text-muted uppercase", className)} {...props} />;
}

export function Td({ className, ...props }: ComponentProps<"td">) {
  return <td className={cn("border-b border-line px-4 py-2.5 align-top", className)} {...props} />;
}

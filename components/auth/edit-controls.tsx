"use client";

import type { ComponentProps } from "react";

import Link from "next/link";

import { Button } from "@/components/ui/button";
import { cn } from "@/components/ui/cn";

import { READ_ONLY_TITLE, useCanEdit } from "./role-context";

/** A Button that makes a change: disabled, with the reason as its tooltip, for auditors. */
export function EditButton({ disabled, title, className, ...props }: ComponentProps<typeof Button>) {
  const canEdit = useCanEdit();
  if (canEdit) return <Button disabled={disabled} title={title} className={className} {...props} />;
  return <Button {...props} disabled title={READ_ONLY_TITLE} className={cn(className, "disabled:pointer-events-auto disabled:cursor-not-allowed")} />;
}

/** A link to a page that makes a change (New…, Edit): shown greyed out, not followed, for auditors. */
export function EditLink({ href, className, children, ...props }: ComponentProps<typeof Link>) {
  const canEdit = useCanEdit();
  if (canEdit)
    return (
      <Link href={href} className={className} {...props}>
        {children}
      </Link>
    );
  return (
    <span role="link" aria-disabled="true" title={READ_ONLY_TITLE} className={cn(className, "cursor-not-allowed opacity-50 hover:no-underline")}>
      {children}
    </span>
  );
}

/** A form's fields and buttons, disabled for auditors (a <fieldset> disables every control inside it). */
export function EditFieldset({ className, disabled, ...props }: ComponentProps<"fieldset">) {
  const canEdit = useCanEdit();
  return <fieldset disabled={disabled || !canEdit} title={canEdit ? undefined : READ_ONLY_TITLE} className={cn("min-w-0", className)} {...props} />;
}

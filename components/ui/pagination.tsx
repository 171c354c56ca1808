import Link from "next/link";

import { buttonVariants } from "./button";

/** Previous / next links for a paged list; `href(page)` builds each page's URL (search params kept by the caller). */
export function Pagination({ page, pages, href, label = "Pagination" }: { page: number; pages: number; href: (page: number) => string; label?: string }) {
  if (pages <= 1) return null;
  const link = buttonVariants({ variant: "secondary", size: "sm" });
  const disabled = `${link} pointer-events-none opacity-50`;
  return (
    <nav aria-label={label} className="mt-4 flex items-center gap-3 text-sm">
      {page > 1 ? (
        <Link href={href(page - 1)} className={link} rel="prev">
          Previous
        </Link>
      ) : (
        <span aria-hidden className={disabled}>
          Previous
        </span>
      )}
      <span className="text-muted">
        Page {page} of {pages}
      </span>
      {page < pages ? (
        <Link href={href(page + 1)} className={link} rel="next">
          Next
        </Link>
      ) : (
        <span aria-hidden className={disabled}>
          Next
        </span>
      )}
    </nav>
  );
}

import type { Metadata } from "next";
import Link from "next/link";

import { Badge } from "@/components/ui/badge";
import { buttonVariants } from "@/components/ui/button";
import { EmptyState, PageHeader } from "@/components/ui/card";
import { LocalTime } from "@/components/ui/format";
import { Table, Td, Th } from "@/components/ui/table";

import { api } from "../../_trpc/server";

export const metadata: Metadata = { title: "Computers" };

const PAGE_SIZE = 50;

export default async function ComputersPage({ searchParams }: { searchParams: Promise<{ q?: string; page?: string }> }) {
  const { q, page: pageParam } = await searchParams;
  const page = Math.max(1, Number.parseInt(pageParam ?? "1", 10) || 1);
  const { items, total } = await api().computers.list({ search: q, page, pageSize: PAGE_SIZE });
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const href = (p: number) => `/computers?${new URLSearchParams({ ...(q ? { q } : {}), page: String(p) }).toString()}`;

  return (
    <>
      <PageHeader title="Computers" description={`${total.toLocaleString()} computers`} />
      <form className="mb-4 flex gap-2" role="search">
        <input
          type="search"
          name="q"
          defaultValue={q}
          aria-label="Search computers"
          placeholder="Name, serial number, UDID or model"
          className="h-9 w-full max-w-md rounded-md border border-line bg-surface px-3 text-sm focus-visible:ring-2 focus-visible:ring-brand-500 focus-visible:outline-none"
        />
        <button type="submit" className={buttonVariants({ variant: "secondary" })}>
          Search
        </button>
      </form>
      {items.length === 0 ? (
        <EmptyState title={q ? "No computer matches your search" : "No computers yet"}>
          {q ? null : "Macs appear here once they enroll through an enrollment link."}
        </EmptyState>
      ) : (
        <Table aria-label="Computers">
          <thead>
            <tr>
              <Th>Name</Th>
              <Th>Serial number</Th>
              <Th>Model</Th>
              <Th>macOS</Th>
              <Th>Architecture</Th>
              <Th>Last check-in</Th>
            </tr>
          </thead>
          <tbody>
            {items.map((c) => (
              <tr key={c.id}>
                <Td className="font-medium">
                  {c.name || c.udid}
                  {c.enrolled ? null : (
                    <Badge tone="warning" className="ml-2">
                      Not enrolled
                    </Badge>
                  )}
                </Td>
                <Td className="font-mono text-xs">{c.serialNumber ?? "—"}</Td>
                <Td>{c.modelName ?? c.model ?? "—"}</Td>
                <Td>{c.osVersion ?? "—"}</Td>
                <Td>{c.architecture === "arm64" ? "Apple silicon" : c.architecture === "x86_64" ? "Intel" : "Unknown yet"}</Td>
                <Td>
                  <LocalTime value={c.lastCheckinAt} />
                </Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
      {pages > 1 ? (
        <nav aria-label="Pagination" className="mt-4 flex items-center gap-3 text-sm">
          {page > 1 ? <Link href={href(page - 1)} className={buttonVariants({ variant: "secondary", size: "sm" })}>Previous</Link> : null}
          <span className="text-muted">
            Page {page} of {pages}
          </span>
          {page < pages ? <Link href={href(page + 1)} className={buttonVariants({ variant: "secondary", size: "sm" })}>Next</Link> : null}
        </nav>
      ) : null}
    </>
  );
}

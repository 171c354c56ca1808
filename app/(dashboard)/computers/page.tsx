import type { Metadata } from "next";
import Link from "next/link";

import { architectureLabel } from "@/components/computers/labels";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { EmptyState, PageHeader } from "@/components/ui/card";
import { LocalTime } from "@/components/ui/format";
import { Input } from "@/components/ui/input";
import { Pagination } from "@/components/ui/pagination";
import { Table, Td, Th } from "@/components/ui/table";

import { api } from "../../_trpc/server";

export const metadata: Metadata = { title: "Computers" };

const PAGE_SIZE = 50;

export default async function ComputersPage({ searchParams }: { searchParams: Promise<{ q?: string; page?: string }> }) {
  const { q, page: pageParam } = await searchParams;
  const search = q?.trim() ? q.trim().slice(0, 200) : undefined;
  const page = Math.max(1, Number.parseInt(pageParam ?? "1", 10) || 1);
  const { items, total } = await api().computers.list({ search, page, pageSize: PAGE_SIZE });
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const href = (p: number) => `/computers?${new URLSearchParams({ ...(search ? { q: search } : {}), page: String(p) }).toString()}`;

  return (
    <>
      <PageHeader
        title="Computers"
        description={search ? `${total.toLocaleString()} ${total === 1 ? "computer matches" : "computers match"} “${search}”` : `${total.toLocaleString()} ${total === 1 ? "computer" : "computers"}`}
      />
      <form className="mb-4 flex max-w-xl gap-2" role="search" action="/computers">
        <Input type="search" name="q" defaultValue={search} aria-label="Search computers" placeholder="Name, serial number, UDID or model" />
        <Button type="submit" variant="secondary">
          Search
        </Button>
        {search ? (
          <Link href="/computers" className="self-center text-sm whitespace-nowrap text-muted hover:text-ink">
            Clear
          </Link>
        ) : null}
      </form>
      {items.length === 0 ? (
        <EmptyState title={search ? "No computer matches your search" : "No computers yet"}>
          {search ? "Try part of the name, the serial number or the model." : "Macs appear here once they enroll through an enrollment link (Settings → Enrollment tokens)."}
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
              <tr key={c.id} className="hover:bg-canvas/60">
                <Td className="font-medium">
                  <Link href={`/computers/${c.id}`} className="text-brand-700 hover:underline focus-visible:ring-2 focus-visible:ring-brand-500 focus-visible:outline-none">
                    {c.name || c.udid}
                  </Link>
                  {c.enrolled ? null : (
                    <Badge tone="warning" className="ml-2">
                      Not enrolled
                    </Badge>
                  )}
                </Td>
                <Td className="font-mono text-xs leading-5">{c.serialNumber ?? "—"}</Td>
                <Td>{c.modelName ?? c.model ?? "—"}</Td>
                <Td>{c.osVersion ?? "—"}</Td>
                <Td>{architectureLabel(c.architecture)}</Td>
                <Td className="whitespace-nowrap">
                  <LocalTime value={c.lastCheckinAt} />
                </Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
      <Pagination page={page} pages={pages} href={href} label="Computers pages" />
    </>
  );
}

import type { Metadata } from "next";
import Link from "next/link";

import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, EmptyState, PageHeader } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Pagination } from "@/components/ui/pagination";
import { Select } from "@/components/ui/select";
import { Table, Td, Th } from "@/components/ui/table";

import { api } from "../../_trpc/server";

export const metadata: Metadata = { title: "Audit Log" };

const PAGE_SIZE = 50;
const DAY_MS = 24 * 60 * 60 * 1000;

type Params = { actor?: string; action?: string; target?: string; q?: string; from?: string; to?: string; page?: string };
type Entry = Awaited<ReturnType<ReturnType<typeof api>["audit"]["list"]>>["items"][number];

const TARGET_LABELS: Record<string, string> = {
  api_token: "API token",
  catalog: "App Catalog",
  clock: "Clock",
  command: "Command",
  computer: "Computer",
  deployment: "App Installer",
  deployment_target: "App Installer target",
  enrollment_token: "Enrollment token",
  push_certificate: "Push certificate",
  session: "Session",
  settings: "Settings",
  smart_group: "Smart group",
  user: "Account",
};
const targetLabel = (type: string) => TARGET_LABELS[type] ?? type.replaceAll("_", " ");

const TARGET_HREFS: Record<string, string> = { computer: "/computers", deployment: "/deployments", smart_group: "/smart-groups" };

const text = (v: string | undefined, max: number) => (v?.trim() ? v.trim().slice(0, max) : undefined);

/** A yyyy-mm-dd date from the form, or undefined when it is not a real calendar day. */
function dayOf(v: string | undefined): string | undefined {
  if (!v || !/^\d{4}-\d{2}-\d{2}$/.test(v)) return undefined;
  const ms = Date.parse(`${v}T00:00:00.000Z`);
  return Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== v ? undefined : v;
}

/** "2026-05-01" and "12:34:56": the instant in UTC, ISO order. */
const utcParts = (d: Date) => [d.toISOString().slice(0, 10), d.toISOString().slice(11, 19)] as const;

/** `deployment.created` with a line-break opportunity after each dot. */
function ActionName({ action }: { action: string }) {
  const parts = action.split(".");
  return parts.map((p, i) => (
    <span key={i}>
      {p}
      {i < parts.length - 1 ? (
        <>
          .<wbr />
        </>
      ) : null}
    </span>
  ));
}

function RoleChip({ entry }: { entry: Entry }) {
  if (entry.actorKind === "system") return <Badge tone="neutral">System</Badge>;
  if (entry.actorRole === "admin") return <Badge tone="brand">Admin</Badge>;
  if (entry.actorRole === "auditor") return <Badge tone="info">Auditor</Badge>;
  return <Badge tone="neutral">No account</Badge>;
}

function TargetCell({ entry }: { entry: Entry }) {
  const base = TARGET_HREFS[entry.targetType];
  const name = entry.targetName ?? (entry.targetId ? `#${entry.targetId}` : null);
  return (
    <>
      <div className="text-xs text-muted">{targetLabel(entry.targetType)}</div>
      {name ? (
        base && entry.targetId ? (
          <Link href={`${base}/${encodeURIComponent(entry.targetId)}`} className="font-medium break-words text-brand-700 hover:underline">
            {name}
          </Link>
        ) : (
          <div className="font-medium break-words">{name}</div>
        )
      ) : null}
    </>
  );
}

function ChangesCell({ changes }: { changes: Entry["changes"] }) {
  const keys = changes ? Object.keys(changes) : [];
  if (keys.length === 0) return <span className="text-muted">—</span>;
  return (
    <details className="group">
      <summary className="cursor-pointer text-xs font-medium whitespace-nowrap text-brand-700 hover:underline">
        {keys.length === 1 ? "1 field" : `${keys.length} fields`}
      </summary>
      <pre className="mt-2 max-h-80 w-max max-w-xs overflow-auto rounded-md border border-line bg-canvas p-2 font-mono text-xs leading-5 break-words whitespace-pre-wrap">{JSON.stringify(changes, null, 2)}</pre>
    </details>
  );
}

export default async function AuditLogPage({ searchParams }: { searchParams: Promise<Params> }) {
  const params = await searchParams;
  const actor = text(params.actor, 254);
  const action = text(params.action, 100);
  const targetType = text(params.target, 100);
  const search = text(params.q, 200);
  const from = dayOf(params.from);
  const to = dayOf(params.to);
  const page = Math.max(1, Number.parseInt(params.page ?? "1", 10) || 1);

  const [{ items, total }, facets] = await Promise.all([
    api().audit.list({
      actor,
      action,
      targetType,
      search,
      from: from ? `${from}T00:00:00.000Z` : undefined,
      to: to ? new Date(Date.parse(`${to}T00:00:00.000Z`) + DAY_MS).toISOString() : undefined,
      page,
      pageSize: PAGE_SIZE,
    }),
    api().audit.facets(),
  ]);
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const filters = { actor, action, target: targetType, q: search, from, to };
  const filtered = Object.values(filters).some(Boolean);
  const href = (p: number) =>
    `/audit?${new URLSearchParams({ ...Object.fromEntries(Object.entries(filters).filter((e): e is [string, string] => Boolean(e[1]))), page: String(p) }).toString()}`;

  return (
    <>
      <PageHeader title="Audit Log" description="Every change made by an admin or API token, and every sign-in. Entries cannot be edited or deleted." />
      <Card className="mb-4 p-4">
        <form role="search" aria-label="Filter the audit log" action="/audit" className="space-y-3">
          <div className="flex flex-wrap items-end gap-3">
            <FacetSelect id="audit-actor" name="actor" label="Actor" any="Anyone" value={actor} options={facets.actors} className="w-56" />
            <FacetSelect id="audit-action" name="action" label="Action" any="Any action" value={action} options={facets.actions} className="w-56" />
            <FacetSelect id="audit-target" name="target" label="Target" any="Any target" value={targetType} options={facets.targetTypes} optionLabel={targetLabel} className="w-48" />
            <div className="min-w-56 flex-1">
              <Label htmlFor="audit-q" className="text-xs text-muted">
                Search
              </Label>
              <Input id="audit-q" type="search" name="q" defaultValue={search} maxLength={200} placeholder="Summary or target name" className="mt-1" />
            </div>
          </div>
          <div className="flex flex-wrap items-end gap-3">
            <div>
              <Label htmlFor="audit-from" className="text-xs text-muted">
                From (UTC)
              </Label>
              <Input id="audit-from" type="date" name="from" defaultValue={from} className="mt-1 w-44" />
            </div>
            <div>
              <Label htmlFor="audit-to" className="text-xs text-muted">
                To (UTC, inclusive)
              </Label>
              <Input id="audit-to" type="date" name="to" defaultValue={to} className="mt-1 w-44" />
            </div>
            <Button type="submit" variant="secondary">
              Apply filters
            </Button>
            {filtered ? (
              <Link href="/audit" className="inline-flex h-9 items-center text-sm whitespace-nowrap text-muted hover:text-ink">
                Clear
              </Link>
            ) : null}
          </div>
        </form>
      </Card>
      <p className="mb-2 text-sm text-muted">
        {filtered ? `${total.toLocaleString()} ${total === 1 ? "entry matches" : "entries match"} the filters` : `${total.toLocaleString()} ${total === 1 ? "entry" : "entries"}`}
        {total > 0 ? ", newest first" : null}
      </p>
      {items.length === 0 ? (
        <EmptyState title={filtered ? "No entries match these filters" : "No entries yet"}>
          {filtered ? (
            <>
              Widen the dates or{" "}
              <Link href="/audit" className="font-medium text-brand-700 hover:underline">
                clear the filters
              </Link>
              .
            </>
          ) : (
            "Sign-ins and every change made by an admin or API token appear here."
          )}
        </EmptyState>
      ) : (
        <Table aria-label="Audit log">
          <thead>
            <tr>
              <Th className="whitespace-nowrap">Time (UTC)</Th>
              <Th>Actor</Th>
              <Th>Action</Th>
              <Th>Target</Th>
              <Th>Summary</Th>
              <Th>Changes</Th>
            </tr>
          </thead>
          <tbody>
            {items.map((e) => (
              <tr key={e.id} className="hover:bg-canvas/60">
                <Td className="font-mono text-xs leading-5 whitespace-nowrap tabular-nums">
                  <time dateTime={e.at.toISOString()} title={`${utcParts(e.at).join(" ")} UTC`}>
                    {utcParts(e.at)[0]}
                    <br />
                    <span className="text-muted">{utcParts(e.at)[1]}</span>
                  </time>
                </Td>
                <Td>
                  <div className="font-medium break-words">{e.actorName}</div>
                  <div className="mt-1 flex flex-wrap items-center gap-x-2 gap-y-1">
                    <RoleChip entry={e} />
                    {e.actorKind === "token" ? <span className="text-xs text-muted">API token</span> : null}
                    {e.ip ? <span className="font-mono text-xs text-muted">{e.ip}</span> : null}
                  </div>
                </Td>
                <Td>
                  <code className={e.action.startsWith("session.sign_in_") ? "font-mono text-xs text-red-700" : "font-mono text-xs"}>
                    <ActionName action={e.action} />
                  </code>
                </Td>
                <Td className="min-w-32">
                  <TargetCell entry={e} />
                </Td>
                <Td className="min-w-48">{e.summary}</Td>
                <Td>
                  <ChangesCell changes={e.changes} />
                </Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
      <Pagination page={page} pages={pages} href={href} label="Audit log pages" />
    </>
  );
}

/** One filter menu of the form: "any" first, then the values the log holds. */
function FacetSelect(props: { id: string; name: string; label: string; any: string; value?: string; options: string[]; optionLabel?: (v: string) => string; className: string }) {
  return (
    <div>
      <Label htmlFor={props.id} className="text-xs text-muted">
        {props.label}
      </Label>
      <Select id={props.id} name={props.name} defaultValue={props.value ?? ""} className={`mt-1 ${props.className}`}>
        <option value="">{props.any}</option>
        {props.options.map((o) => (
          <option key={o} value={o}>
            {props.optionLabel ? props.optionLabel(o) : o}
          </option>
        ))}
      </Select>
    </div>
  );
}

// The audit log (Step 6): one append-only row per successful admin mutation, written by the mutation's own
// service inside its transaction, so a failed or rolled-back change leaves no row and a committed one
// always has exactly one. The same call writes the entry a computer's or App Installer's history shows.
import { and, desc, eq, gte, lt, sql, type SQL } from "drizzle-orm";

import type { Principal } from "@/server/auth/actor";
import type { Deps } from "@/server/deps";
import { containsText } from "@/server/services/text-search";
import type { Db, Tx } from "@/db/client";
import { auditLog, events } from "@/db/schema";

export type AdminAction = {
  /** `<target type>.<verb>`, e.g. `deployment.created`. */
  action: string;
  target: { type: string; id?: string | number | null; name?: string | null };
  /** One line, without the actor: "App Installer "Zoom" created". */
  summary: string;
  /** What changed (before/after or the new values); never a secret. */
  changes?: Record<string, unknown>;
  /** Also show it in these histories (DESIGN §3.1 management history, App Installer activity). */
  history?: { computerId?: number; deploymentId?: number; commandUuid?: string };
};

/** Who an audit row names: a principal, or for a failed sign-in the email someone typed (no account behind it). */
export type AuditActor = Principal | { kind: "user"; id: null; name: string; role: "none"; ip?: string };

export function recordAdminAction(tx: Db | Tx, at: Date, by: AuditActor, a: AdminAction): void {
  tx.insert(auditLog)
    .values({
      at,
      actorKind: by.kind,
      actorId: by.kind === "system" ? null : by.id,
      actorName: by.name,
      actorRole: by.role,
      ip: by.kind === "system" ? null : (by.ip ?? null),
      action: a.action,
      targetType: a.target.type,
      targetId: a.target.id == null ? null : String(a.target.id),
      targetName: a.target.name ?? null,
      summary: a.summary,
      changes: a.changes ?? null,
    })
    .run();
  if (a.history) {
    tx.insert(events)
      .values({
        at,
        category: "admin",
        type: a.action,
        actor: by.name,
        computerId: a.history.computerId ?? null,
        deploymentId: a.history.deploymentId ?? null,
        commandUuid: a.history.commandUuid ?? null,
        message: `${a.summary} by ${by.name}`,
        data: a.changes ?? null,
      })
      .run();
  }
}

export type AuditQuery = { actor?: string; action?: string; targetType?: string; search?: string; from?: Date; to?: Date; page?: number; pageSize?: number };

/** The Audit Log page's query: newest first, filtered, paginated. */
export function listAuditLog(deps: Pick<Deps, "db">, q: AuditQuery) {
  const page = q.page ?? 1;
  const pageSize = q.pageSize ?? 50;
  const where: SQL | undefined = and(
    q.actor ? eq(auditLog.actorName, q.actor) : undefined,
    q.action ? eq(auditLog.action, q.action) : undefined,
    q.targetType ? eq(auditLog.targetType, q.targetType) : undefined,
    containsText([auditLog.summary, auditLog.targetName], q.search),
    q.from ? gte(auditLog.at, q.from) : undefined,
    q.to ? lt(auditLog.at, q.to) : undefined,
  );
  const items = deps.db.select().from(auditLog).where(where).orderBy(desc(auditLog.id)).limit(pageSize).offset((page - 1) * pageSize).all();
  const total = deps.db.select({ n: sql<number>`count(*)` }).from(auditLog).where(where).get()?.n ?? 0;
  return { items, total, page, pageSize };
}

/** The values the page's filter menus offer. */
export function auditFacets(deps: Pick<Deps, "db">) {
  const distinct = (column: typeof auditLog.action | typeof auditLog.actorName | typeof auditLog.targetType) =>
    deps.db.selectDistinct({ v: column }).from(auditLog).orderBy(column).all().map((r) => r.v);
  return { actors: distinct(auditLog.actorName), actions: distinct(auditLog.action), targetTypes: distinct(auditLog.targetType) };
}

// Titles whose App Installers changed and whose computers the engine has not all visited yet (db/schema.ts
// `pendingScopes`, DESIGN §3). An admin's change writes its title's row in the change's own transaction, so
// the change is in effect from its commit: a computer the pass behind it has not reached is visited in its
// own request when it checks in (engine-passes.ts `runPendingScopesFor`), and a pass a crash cut short is
// resumed from its cursor. Deploying to 100,000 Macs wrote a target, a command and an event per Mac before the
// admin's change returned (6–10 s); what must happen before the change is in effect is now one row.
import type { Db } from "@/db/client";

export type PendingScope = { titleId: number; request: number; cursor: number };

function prepare(db: Db) {
  const c = db.$client;
  return {
    // A fresh random request id, as change stamps (change-stamps.ts): a pass in progress for an earlier change
    // of the title sees its cursor updates miss, and the newer change's pass visits every computer again.
    request: c.prepare<[number, number]>(
      `insert into pending_scopes (title_id, request, requested_at) values (?, abs(random() % 9007199254740991), ?)
       on conflict (title_id) do update set request = excluded.request, requested_at = excluded.requested_at, cursor = 0, visited = 0, total = null`,
    ),
    // Read on every check-in: most find the table empty.
    all: c.prepare<[], [titleId: number, request: number, cursor: number]>("select title_id, request, cursor from pending_scopes order by title_id").raw(),
    start: c.prepare<[number, number, number]>("update pending_scopes set total = visited + ? where title_id = ? and request = ?"),
    advance: c.prepare<[number, number, number, number]>("update pending_scopes set cursor = ?, visited = visited + ? where title_id = ? and request = ?"),
    finish: c.prepare<[number, number]>("delete from pending_scopes where title_id = ? and request = ?"),
    progress: c.prepare<[number], { visited: number; total: number | null; requestedAt: number }>("select visited, total, requested_at requestedAt from pending_scopes where title_id = ?"),
  };
}

const cache = new WeakMap<Db, ReturnType<typeof prepare>>();
function statements(db: Db) {
  let s = cache.get(db);
  if (!s) cache.set(db, (s = prepare(db)));
  return s;
}

/** Inside the admin's transaction: these titles' computers are all to be visited again, from the first. */
export function requestTitleScopes(db: Db, titleIds: Iterable<number>, now: Date) {
  const s = statements(db);
  for (const titleId of new Set(titleIds)) s.request.run(titleId, now.getTime());
}

/** Every pending scope, by title. */
export function pendingScopes(db: Db): PendingScope[] {
  return statements(db)
    .all.all()
    .map(([titleId, request, cursor]) => ({ titleId, request, cursor }));
}

/** The pass behind a scope starts (or resumes) with `remaining` computers still to visit. */
export function startScope(db: Db, scope: PendingScope, remaining: number) {
  statements(db).start.run(remaining, scope.titleId, scope.request);
}

/** In a slice's transaction: every computer up to `cursor` has been visited (`visited` more of them). */
export function advanceScope(db: Db, scope: PendingScope, cursor: number, visited: number) {
  statements(db).advance.run(cursor, visited, scope.titleId, scope.request);
}

/** Every computer was visited: the scope ends, unless a newer change of its title restarted it. */
export function finishScope(db: Db, scope: PendingScope) {
  statements(db).finish.run(scope.titleId, scope.request);
}

/** How far the pass behind a title's scope is, for its App Installers' pages; undefined when none is pending. */
export function scopeProgress(db: Db, titleId: number): { visited: number; total: number | null; requestedAt: Date } | undefined {
  const row = statements(db).progress.get(titleId);
  return row ? { visited: row.visited, total: row.total, requestedAt: new Date(row.requestedAt) } : undefined;
}

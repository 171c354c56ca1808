// "Contains" search over text columns, shared by the computer list and the audit log. `%` and `_` typed
// by a person are literal: they are escaped and the LIKE names its escape character (SQLite has none by default).
import { or, sql, type AnyColumn, type SQL } from "drizzle-orm";

export function containsText(columns: AnyColumn[], term: string | undefined): SQL | undefined {
  const t = term?.trim();
  if (!t) return undefined;
  const pattern = `%${t.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return or(...columns.map((c) => sql`${c} like ${pattern} escape '\\'`));
}

// SQL fragments shared by the services.
import { sql, type AnyColumn } from "drizzle-orm";

/**
 * `column IN` a JSON array bound at run time (`JSON.stringify(ids)`): one statement prepared once serves a
 * list of any length, where `inArray` would build a new statement for every list.
 */
export const inJson = (column: AnyColumn, placeholder: string) => sql`${column} in (select value from json_each(${sql.placeholder(placeholder)}))`;

/**
 * Instants between a raw statement and drizzle's `timestamp_ms` mode: milliseconds in the row, Date (or null)
 * in the code. Raw statements serve the hot paths (the queue, a pass's slice), and map rows as drizzle would.
 */
export const dateOf = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));
export const msOf = (d: Date | null | undefined): number | null => (d ? d.getTime() : null);

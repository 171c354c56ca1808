// SQL fragments shared by the services.
import { sql, type AnyColumn } from "drizzle-orm";

/**
 * `column IN` a JSON array bound at run time (`JSON.stringify(ids)`): one statement prepared once serves a
 * list of any length, where `inArray` would build a new statement for every list.
 */
export const inJson = (column: AnyColumn, placeholder: string) => sql`${column} in (select value from json_each(${sql.placeholder(placeholder)}))`;

import type { SMART_GROUP_FIELDS as ENGINE_FIELDS } from "@/server/engine/smart-groups";

/**
 * The criteria table of DESIGN §2.1 for the editor's selects. Copied because components may import only types
 * from server/: server/engine/smart-groups.ts (SMART_GROUP_FIELDS) is the source of truth, and the
 * `satisfies` below fails to compile when the two differ.
 */
export const FIELD_OPERATORS = {
  "Computer Name": ["is", "is not", "like", "not like", "matches regex"],
  "Serial Number": ["is", "is not", "like", "not like", "matches regex"],
  Model: ["is", "is not", "like", "not like", "matches regex"],
  "Operating System Version": ["is", "is not", "greater than", "greater than or equal", "less than", "less than or equal"],
  "Architecture Type": ["is", "is not"],
  "Application Title": ["has", "does not have"],
  "Application Bundle ID": ["has", "does not have"],
  "Last Check-in": ["more than x days ago", "less than x days ago"],
  "Last Inventory Update": ["more than x days ago", "less than x days ago"],
  "Computer Group": ["member of", "not member of"],
} as const satisfies typeof ENGINE_FIELDS;

export type CriterionField = keyof typeof FIELD_OPERATORS;

export const FIELDS = Object.keys(FIELD_OPERATORS) as CriterionField[];

export const isField = (field: string): field is CriterionField => Object.hasOwn(FIELD_OPERATORS, field);

export function operatorsFor(field: string): readonly string[] {
  return isField(field) ? FIELD_OPERATORS[field] : [];
}

export type ValueKind = "text" | "version" | "days" | "architecture" | "group";

export function valueKindOf(field: string): ValueKind {
  switch (field) {
    case "Operating System Version":
      return "version";
    case "Last Check-in":
    case "Last Inventory Update":
      return "days";
    case "Architecture Type":
      return "architecture";
    case "Computer Group":
      return "group";
    default:
      return "text";
  }
}

export const ARCHITECTURES = [
  { value: "arm64", label: "arm64 (Apple silicon)" },
  { value: "x86_64", label: "x86_64 (Intel)" },
] as const;

/** The value a fresh criterion of this field starts with. */
export function defaultValueFor(field: string): string {
  const kind = valueKindOf(field);
  if (kind === "architecture") return "arm64";
  if (kind === "days") return "30";
  return "";
}

export const PLACEHOLDERS: Partial<Record<CriterionField, string>> = {
  "Computer Name": "e.g. Design Lab",
  "Serial Number": "e.g. C02",
  Model: "e.g. MacBook Air",
  "Operating System Version": "e.g. 14.5",
  "Application Title": "e.g. Google Chrome",
  "Application Bundle ID": "e.g. com.google.Chrome",
};

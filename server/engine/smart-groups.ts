// Smart groups (DESIGN §2.1): the field and operator table, validation, compilation of a criteria list into
// an expression tree, and evaluation over computers. Jamf Pro's semantics: string comparisons ignore case,
// `and` binds tighter than `or`, parentheses override, the first criterion's joiner is ignored.
import { compareVersions, isVersionLike } from "./versions";

const STRING_OPERATORS = ["is", "is not", "like", "not like", "matches regex"] as const;
const VERSION_OPERATORS = ["is", "is not", "greater than", "greater than or equal", "less than", "less than or equal"] as const;
const DAYS_OPERATORS = ["more than x days ago", "less than x days ago"] as const;
const HAS_OPERATORS = ["has", "does not have"] as const;

/** DESIGN §2.1: every criterion field with the operators it allows. */
export const SMART_GROUP_FIELDS = {
  "Computer Name": STRING_OPERATORS,
  "Serial Number": STRING_OPERATORS,
  Model: STRING_OPERATORS,
  "Operating System Version": VERSION_OPERATORS,
  "Architecture Type": ["is", "is not"],
  "Application Title": HAS_OPERATORS,
  "Application Bundle ID": HAS_OPERATORS,
  "Last Check-in": DAYS_OPERATORS,
  "Last Inventory Update": DAYS_OPERATORS,
  "Computer Group": ["member of", "not member of"],
} as const satisfies Record<string, readonly string[]>;

/** DESIGN §2.1: a field name of the criteria table. */
export type SmartGroupField = keyof typeof SMART_GROUP_FIELDS;

/** DESIGN §2.1: a regex criterion runs on the server, so its length is capped. */
export const MAX_REGEX_LENGTH = 256;

/** DESIGN §2.1, §4.2: one criterion as stored and as sent by the admin API. */
export type Criterion = { joiner?: "and" | "or"; openParen?: boolean; field: string; operator: string; value: string; closeParen?: boolean };

/** DESIGN §2.1: a stored smart group, as the engine sees it. */
export type GroupDefinition = { id: number; name: string; criteria: Criterion[] };

/**
 * DESIGN §2.1: what criteria are evaluated against. `appNames` holds normalizeAppName() of every installed
 * app's name; `appBundleIds` every installed bundle id, lowercased.
 */
export type ComputerFacts = {
  id: number;
  name: string;
  serialNumber: string | null;
  model: string | null;
  osVersion: string | null;
  architecture: "arm64" | "x86_64" | null;
  lastCheckinAt: Date | null;
  lastInventoryAt: Date | null;
  appBundleIds: ReadonlySet<string>;
  appNames: ReadonlySet<string>;
};

/** DESIGN §2.1: one validation problem; `index` is the 0-based position of the criterion it concerns. */
export type SmartGroupError = { index?: number; message: string };

/** DESIGN §2.1: the outcome of validateSmartGroup. */
export type SmartGroupValidation = { ok: true } | { ok: false; errors: SmartGroupError[] };

/** DESIGN §2.1: the catastrophic-regex check is injected (a library the pure engine may not import). */
export type SmartGroupValidationOptions = { isSafeRegex: (pattern: string) => boolean };

/** DESIGN §2.1: a cycle of Computer Group references found in stored groups (its members match nothing). */
export type SmartGroupCycle = { groupIds: number[]; description: string };

/** DESIGN §2.1: the expression tree a criteria list parses into (`and` binds tighter than `or`). */
export type SmartGroupExpression =
  | { kind: "all" }
  | { kind: "none" }
  | { kind: "criterion"; index: number }
  | { kind: "and" | "or"; children: SmartGroupExpression[] };

type Prepared = { facts: ComputerFacts; name: string; serial: string; model: string };
type Test = (computer: Prepared, results: Uint8Array, nowMs: number) => boolean;

/** DESIGN §2.1: one compiled group; `slot` is its place in the evaluation order. */
export type CompiledGroup = { id: number; name: string; slot: number; expression: SmartGroupExpression; test: Test };

/** DESIGN §2.1, §3.2: groups ordered so referenced groups are evaluated first, ready to evaluate per computer. */
export type CompiledGroups = {
  groups: CompiledGroup[];
  /**
   * The (field, days) pairs of every "x days ago" criterion in use: membership can change with time alone
   * when one of these instants crosses now − days, so an incremental pass re-evaluates those computers.
   */
  timeCriteria: TimeCriterion[];
  cycles: SmartGroupCycle[];
  invalid: { groupId: number; name: string; errors: SmartGroupError[] }[];
};

export type TimeCriterion = { field: "Last Check-in" | "Last Inventory Update"; days: number };

export const DAY_MS = 24 * 60 * 60 * 1000;

/** DESIGN §2.1: an app name as `Application Title` compares it: lowercased, trimmed, a trailing ".app" removed. */
export function normalizeAppName(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/\.app$/, "")
    .trim();
}

const lowerName = (name: string) => name.trim().toLowerCase();

function isKnownField(field: string): field is SmartGroupField {
  return Object.hasOwn(SMART_GROUP_FIELDS, field);
}

const ARCHITECTURE_ALIASES: Record<string, "arm64" | "x86_64"> = { arm64: "arm64", x86_64: "x86_64", "apple silicon": "arm64", intel: "x86_64" };

function parseArchitecture(value: string): "arm64" | "x86_64" | undefined {
  const key = value.trim().toLowerCase();
  return Object.hasOwn(ARCHITECTURE_ALIASES, key) ? ARCHITECTURE_ALIASES[key] : undefined;
}

const quoteList = (items: readonly string[]) =>
  items.length <= 1 ? items.map((i) => `"${i}"`).join("") : `${items.slice(0, -1).map((i) => `"${i}"`).join(", ")} or "${items.at(-1)}"`;

type CheckContext = { groupExists: (lowerName: string) => boolean; isSafeRegex?: (pattern: string) => boolean };

/** The first problem of one criterion's field, operator and value, or undefined. */
function checkCriterion(c: Criterion, ctx: CheckContext): string | undefined {
  if (!isKnownField(c.field)) return `Unknown field "${c.field}"`;
  const operators: readonly string[] = SMART_GROUP_FIELDS[c.field];
  if (!operators.includes(c.operator)) return `Operator "${c.operator}" does not apply to ${c.field} (use ${quoteList(operators)})`;
  const value = c.value.trim();
  if (value === "") return `${c.field} needs a value`;
  switch (c.field) {
    case "Computer Name":
    case "Serial Number":
    case "Model":
      return c.operator === "matches regex" ? checkRegex(c.value, ctx) : undefined;
    case "Operating System Version":
      return isVersionLike(value) ? undefined : `"${value}" is not a macOS version (use numbers, like 14.5)`;
    case "Architecture Type":
      return parseArchitecture(value) ? undefined : `"${value}" is not an architecture (use arm64 or x86_64)`;
    case "Last Check-in":
    case "Last Inventory Update":
      if (!/^[+-]?\d+$/.test(value)) return `"${value}" is not a whole number of days`;
      return Number(value) < 0 ? `The number of days cannot be negative (got ${value})` : undefined;
    case "Computer Group":
      return ctx.groupExists(lowerName(value)) ? undefined : `No smart group named "${value}"`;
    case "Application Title":
    case "Application Bundle ID":
      return undefined;
  }
}

function checkRegex(pattern: string, ctx: CheckContext): string | undefined {
  if (pattern.length > MAX_REGEX_LENGTH) return `The regular expression is ${pattern.length} characters long (at most ${MAX_REGEX_LENGTH})`;
  try {
    new RegExp(pattern, "i");
  } catch (e) {
    return `Invalid regular expression: ${(e as Error).message.replace(/^Invalid regular expression: /, "")}`;
  }
  if (ctx.isSafeRegex) {
    let safe: boolean;
    try {
      safe = ctx.isSafeRegex(pattern);
    } catch {
      safe = false;
    }
    if (!safe) return `The regular expression "${pattern}" could backtrack catastrophically (exponential time): simplify it`;
  }
  return undefined;
}

/** Parenthesis balance: a close with nothing open names its criterion (1-based); unclosed ones are counted. */
function checkParentheses(criteria: readonly Criterion[]): SmartGroupError[] {
  const errors: SmartGroupError[] = [];
  let depth = 0;
  criteria.forEach((c, index) => {
    if (c.openParen) depth++;
    if (c.closeParen) {
      if (depth === 0) errors.push({ index, message: `Criterion ${index + 1} closes a parenthesis that was never opened` });
      else depth--;
    }
  });
  if (depth > 0) errors.push({ message: depth === 1 ? "1 parenthesis is never closed" : `${depth} parentheses are never closed` });
  return errors;
}

function checkCriteria(criteria: readonly Criterion[], ctx: CheckContext): SmartGroupError[] {
  const errors: SmartGroupError[] = [];
  criteria.forEach((c, index) => {
    const message = checkCriterion(c, ctx);
    if (message) errors.push({ index, message });
  });
  return [...errors, ...checkParentheses(criteria)];
}

const referencesOf = (criteria: readonly Criterion[]) =>
  criteria.flatMap((c, index) => (c.field === "Computer Group" ? [{ index, name: lowerName(c.value) }] : []));

/**
 * DESIGN §2.1: checks a group about to be saved against the other stored groups: names, every criterion,
 * parentheses, regex safety (length, compilation, the injected catastrophic-pattern check), Computer Group
 * references and reference cycles (a group referring to itself included). `others` may include the group's
 * stored version (same id): it is ignored.
 */
export function validateSmartGroup(
  group: { id?: number; name: string; criteria: Criterion[] },
  others: GroupDefinition[],
  options: SmartGroupValidationOptions,
): SmartGroupValidation {
  const errors: SmartGroupError[] = [];
  const name = group.name.trim();
  const rest = others.filter((o) => group.id === undefined || o.id !== group.id);
  if (name === "") errors.push({ message: "The name is required" });
  else if (rest.some((o) => lowerName(o.name) === lowerName(name))) errors.push({ message: `A smart group named "${name}" already exists` });
  const result = validateSmartGroupCriteria(group.criteria, rest, options, name === "" ? undefined : name);
  if (!result.ok) errors.push(...result.errors);
  return errors.length === 0 ? { ok: true } : { ok: false, errors };
}

/**
 * DESIGN §2.1: the criteria part of validateSmartGroup, for a preview of a group that may have no name yet.
 * `selfName` is the group's own name (a reference to it is a cycle); `others` must not contain the group.
 */
export function validateSmartGroupCriteria(criteria: Criterion[], others: GroupDefinition[], options: SmartGroupValidationOptions, selfName?: string): SmartGroupValidation {
  const byName = new Map<string, GroupDefinition>();
  for (const o of [...others].sort((a, b) => a.id - b.id)) if (!byName.has(lowerName(o.name))) byName.set(lowerName(o.name), o);
  const self = selfName === undefined ? undefined : lowerName(selfName);
  const errors = checkCriteria(criteria, { groupExists: (n) => n === self || byName.has(n), isSafeRegex: options.isSafeRegex });

  if (self !== undefined && selfName !== undefined) {
    const seen = new Set<string>();
    for (const ref of referencesOf(criteria)) {
      const path = ref.name === self ? [] : findPath(ref.name, self, byName);
      if (!path) continue;
      const names = [selfName.trim(), ...path.map((n) => byName.get(n)?.name ?? n), selfName.trim()];
      const message = `Smart group cycle: ${names.join(" → ")}`;
      if (seen.has(message)) continue;
      seen.add(message);
      errors.push({ index: ref.index, message });
    }
  }
  errors.sort((a, b) => (a.index ?? Number.MAX_SAFE_INTEGER) - (b.index ?? Number.MAX_SAFE_INTEGER));
  return errors.length === 0 ? { ok: true } : { ok: false, errors };
}

/** A chain of group names from `from` that reaches a group referring to `target`, or undefined. */
function findPath(from: string, target: string, byName: Map<string, GroupDefinition>): string[] | undefined {
  const visited = new Set<string>();
  const walk = (node: string): string[] | undefined => {
    if (visited.has(node)) return undefined;
    visited.add(node);
    const group = byName.get(node);
    if (!group) return undefined;
    for (const ref of referencesOf(group.criteria)) {
      if (ref.name === target) return [node];
      const rest = walk(ref.name);
      if (rest) return [node, ...rest];
    }
    return undefined;
  };
  return walk(from);
}

/** DESIGN §2.1: validation errors as lines, "Criterion N: …" (1-based) where the error concerns one criterion. */
export function formatSmartGroupErrors(errors: readonly SmartGroupError[]): string[] {
  return errors.map((e) => (e.index === undefined || e.message.startsWith(`Criterion ${e.index + 1} `) ? e.message : `Criterion ${e.index + 1}: ${e.message}`));
}

// ---------------------------------------------------------------------------------------------------------
// Compilation
// ---------------------------------------------------------------------------------------------------------

type Token = { kind: "(" | ")" | "and" | "or" } | { kind: "criterion"; index: number };

/** DESIGN §2.1: parses a balanced criteria list into a tree; `and` binds tighter than `or`. Empty = every computer. */
export function parseCriteria(criteria: readonly Criterion[]): SmartGroupExpression {
  if (criteria.length === 0) return { kind: "all" };
  const tokens: Token[] = [];
  criteria.forEach((c, index) => {
    if (index > 0) tokens.push({ kind: c.joiner === "or" ? "or" : "and" });
    if (c.openParen) tokens.push({ kind: "(" });
    tokens.push({ kind: "criterion", index });
    if (c.closeParen) tokens.push({ kind: ")" });
  });
  let pos = 0;
  const peek = () => tokens[pos]?.kind;
  const join = (kind: "and" | "or", children: SmartGroupExpression[]): SmartGroupExpression => (children.length === 1 && children[0] ? children[0] : { kind, children });
  const parseOr = (): SmartGroupExpression => {
    const children = [parseAnd()];
    while (peek() === "or") {
      pos++;
      children.push(parseAnd());
    }
    return join("or", children);
  };
  const parseAnd = (): SmartGroupExpression => {
    const children = [parseFactor()];
    while (peek() === "and") {
      pos++;
      children.push(parseFactor());
    }
    return join("and", children);
  };
  const parseFactor = (): SmartGroupExpression => {
    const token = tokens[pos++];
    if (token?.kind === "(") {
      const inner = parseOr();
      if (peek() === ")") pos++;
      return inner;
    }
    if (token?.kind === "criterion") return { kind: "criterion", index: token.index };
    return { kind: "none" }; // unreachable for balanced input (validated before compiling)
  };
  const tree = parseOr();
  return pos === tokens.length ? tree : { kind: "none" };
}

function compileExpression(expression: SmartGroupExpression, tests: readonly Test[]): Test {
  switch (expression.kind) {
    case "all":
      return () => true;
    case "none":
      return () => false;
    case "criterion":
      return tests[expression.index] ?? (() => false);
    case "and": {
      const parts = expression.children.map((c) => compileExpression(c, tests));
      return (p, r, n) => parts.every((t) => t(p, r, n));
    }
    case "or": {
      const parts = expression.children.map((c) => compileExpression(c, tests));
      return (p, r, n) => parts.some((t) => t(p, r, n));
    }
  }
}

const stringOf: Record<"Computer Name" | "Serial Number" | "Model", (p: Prepared) => string> = {
  "Computer Name": (p) => p.name,
  "Serial Number": (p) => p.serial,
  Model: (p) => p.model,
};

/** One criterion as a test; `slotOf` gives the evaluation slot of a referenced group (lowercased name). */
function compileCriterion(c: Criterion, slotOf: (lowerName: string) => number | undefined): Test {
  const value = c.value.trim();
  const lower = value.toLowerCase();
  switch (c.field) {
    case "Computer Name":
    case "Serial Number":
    case "Model": {
      const get = stringOf[c.field];
      switch (c.operator) {
        case "is":
          return (p) => get(p) === lower;
        case "is not":
          return (p) => get(p) !== lower;
        case "like":
          return (p) => get(p).includes(lower);
        case "not like":
          return (p) => !get(p).includes(lower);
        case "matches regex": {
          if (c.value.length > MAX_REGEX_LENGTH) return () => false;
          let re: RegExp;
          try {
            re = new RegExp(c.value, "i");
          } catch {
            return () => false;
          }
          const raw = c.field === "Computer Name" ? (p: Prepared) => p.facts.name : c.field === "Serial Number" ? (p: Prepared) => p.facts.serialNumber ?? "" : (p: Prepared) => p.facts.model ?? "";
          return (p) => re.test(raw(p));
        }
      }
      break;
    }
    case "Operating System Version": {
      const known = (p: Prepared) => p.facts.osVersion !== null && isVersionLike(p.facts.osVersion);
      const cmp = (p: Prepared) => compareVersions(p.facts.osVersion ?? "", value);
      switch (c.operator) {
        case "is":
          return (p) => known(p) && cmp(p) === 0;
        case "is not":
          return (p) => !known(p) || cmp(p) !== 0;
        case "greater than":
          return (p) => known(p) && cmp(p) > 0;
        case "greater than or equal":
          return (p) => known(p) && cmp(p) >= 0;
        case "less than":
          return (p) => known(p) && cmp(p) < 0;
        case "less than or equal":
          return (p) => known(p) && cmp(p) <= 0;
      }
      break;
    }
    case "Architecture Type": {
      const arch = parseArchitecture(value);
      if (c.operator === "is") return (p) => arch !== undefined && p.facts.architecture === arch;
      if (c.operator === "is not") return (p) => p.facts.architecture !== arch;
      break;
    }
    case "Application Title": {
      const title = normalizeAppName(value);
      if (c.operator === "has") return (p) => p.facts.appNames.has(title);
      if (c.operator === "does not have") return (p) => !p.facts.appNames.has(title);
      break;
    }
    case "Application Bundle ID": {
      if (c.operator === "has") return (p) => p.facts.appBundleIds.has(lower);
      if (c.operator === "does not have") return (p) => !p.facts.appBundleIds.has(lower);
      break;
    }
    case "Last Check-in":
    case "Last Inventory Update": {
      const days = Number(value);
      if (!Number.isInteger(days) || days < 0) return () => false;
      const at = c.field === "Last Check-in" ? (p: Prepared) => p.facts.lastCheckinAt : (p: Prepared) => p.facts.lastInventoryAt;
      // "More than x days ago" includes never; the two operators split every known instant at now − x days.
      if (c.operator === "more than x days ago") return (p, _r, now) => (at(p)?.getTime() ?? Number.NEGATIVE_INFINITY) < now - days * DAY_MS;
      if (c.operator === "less than x days ago")
        return (p, _r, now) => {
          const t = at(p);
          return t !== null && t.getTime() >= now - days * DAY_MS;
        };
      break;
    }
    case "Computer Group": {
      const slot = slotOf(lower);
      const isMember = (r: Uint8Array) => slot !== undefined && r[slot] === 1;
      if (c.operator === "member of") return (_p, r) => isMember(r);
      if (c.operator === "not member of") return (_p, r) => !isMember(r);
      break;
    }
  }
  return () => false;
}

/**
 * DESIGN §2.1, §3.2: compiles every group once. Groups are ordered so that referenced groups are evaluated
 * first (Tarjan's strongly connected components, ties by id). A group in a reference cycle, or whose stored
 * criteria no longer validate, matches no computer and is reported in `cycles` or `invalid`.
 */
export function compileSmartGroups(groups: GroupDefinition[]): CompiledGroups {
  const sorted = [...groups].sort((a, b) => a.id - b.id);
  const byName = new Map<string, GroupDefinition>();
  for (const g of sorted) if (!byName.has(lowerName(g.name))) byName.set(lowerName(g.name), g);
  const edges = new Map<number, GroupDefinition[]>(
    sorted.map((g) => [g.id, referencesOf(g.criteria).flatMap((r) => byName.get(r.name) ?? [])]),
  );

  // Tarjan: each component is emitted after every component it refers to, i.e. dependencies first.
  const order: GroupDefinition[] = [];
  const cycles: SmartGroupCycle[] = [];
  const inCycle = new Set<number>();
  const indexOf = new Map<number, number>();
  const lowOf = new Map<number, number>();
  const stack: GroupDefinition[] = [];
  const onStack = new Set<number>();
  let counter = 0;
  const strongConnect = (g: GroupDefinition) => {
    indexOf.set(g.id, counter);
    lowOf.set(g.id, counter);
    counter++;
    stack.push(g);
    onStack.add(g.id);
    for (const next of edges.get(g.id) ?? []) {
      if (!indexOf.has(next.id)) {
        strongConnect(next);
        lowOf.set(g.id, Math.min(lowOf.get(g.id) ?? 0, lowOf.get(next.id) ?? 0));
      } else if (onStack.has(next.id)) {
        lowOf.set(g.id, Math.min(lowOf.get(g.id) ?? 0, indexOf.get(next.id) ?? 0));
      }
    }
    if (lowOf.get(g.id) !== indexOf.get(g.id)) return;
    const component: GroupDefinition[] = [];
    for (let member = stack.pop(); member; member = stack.pop()) {
      onStack.delete(member.id);
      component.push(member);
      if (member.id === g.id) break;
    }
    component.sort((a, b) => a.id - b.id);
    order.push(...component);
    const selfLoop = (edges.get(g.id) ?? []).some((n) => n.id === g.id);
    if (component.length > 1 || selfLoop) {
      for (const m of component) inCycle.add(m.id);
      cycles.push(describeCycle(component, edges));
    }
  };
  for (const g of sorted) if (!indexOf.has(g.id)) strongConnect(g);

  const slotById = new Map(order.map((g, slot) => [g.id, slot]));
  const slotOf = (name: string) => {
    const target = byName.get(name);
    return target ? slotById.get(target.id) : undefined;
  };
  const invalid: CompiledGroups["invalid"] = [];
  const timeCriteria = new Map<string, TimeCriterion>();
  const compiled = order.map((g, slot): CompiledGroup => {
    const errors = checkCriteria(g.criteria, { groupExists: (n) => byName.has(n) });
    if (errors.length > 0) invalid.push({ groupId: g.id, name: g.name, errors });
    if (errors.length > 0 || inCycle.has(g.id)) return { id: g.id, name: g.name, slot, expression: { kind: "none" }, test: () => false };
    for (const c of g.criteria) {
      if (c.field === "Last Check-in" || c.field === "Last Inventory Update") timeCriteria.set(`${c.field}|${Number(c.value)}`, { field: c.field, days: Number(c.value) });
    }
    const expression = parseCriteria(g.criteria);
    const tests = g.criteria.map((c) => compileCriterion(c, slotOf));
    return { id: g.id, name: g.name, slot, expression, test: compileExpression(expression, tests) };
  });
  return { groups: compiled, timeCriteria: [...timeCriteria.values()], cycles, invalid };
}

/** A readable cycle through a strongly connected component, from its lowest id back to it. */
function describeCycle(component: GroupDefinition[], edges: Map<number, GroupDefinition[]>): SmartGroupCycle {
  const members = new Set(component.map((g) => g.id));
  const start = component[0];
  if (!start) return { groupIds: [], description: "" };
  const path: GroupDefinition[] = [start];
  const visited = new Set<number>([start.id]);
  const walk = (g: GroupDefinition): boolean => {
    for (const next of edges.get(g.id) ?? []) {
      if (!members.has(next.id)) continue;
      if (next.id === start.id) return true;
      if (visited.has(next.id)) continue;
      visited.add(next.id);
      path.push(next);
      if (walk(next)) return true;
      path.pop();
    }
    return false;
  };
  walk(start);
  return { groupIds: path.map((g) => g.id), description: `Smart group cycle: ${[...path, start].map((g) => g.name).join(" → ")}` };
}

// ---------------------------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------------------------

function prepare(facts: ComputerFacts): Prepared {
  return { facts, name: facts.name.toLowerCase(), serial: (facts.serialNumber ?? "").toLowerCase(), model: (facts.model ?? "").toLowerCase() };
}

function evaluateInto(compiled: CompiledGroups, computer: ComputerFacts, results: Uint8Array, nowMs: number) {
  const prepared = prepare(computer);
  for (const g of compiled.groups) results[g.slot] = g.test(prepared, results, nowMs) ? 1 : 0;
}

/** DESIGN §2.1, §3.2: every group's members (group id → computer ids), in one pass over the computers. */
export function evaluateSmartGroups(compiled: CompiledGroups, computers: ComputerFacts[], now: Date): Map<number, Set<number>> {
  const nowMs = now.getTime();
  const sets = compiled.groups.map(() => new Set<number>());
  const results = new Uint8Array(compiled.groups.length);
  const n = sets.length;
  for (const computer of computers) {
    evaluateInto(compiled, computer, results, nowMs);
    // A plain loop: a callback per (computer, group) is 20 million calls at 100,000 Macs × 200 groups.
    for (let slot = 0; slot < n; slot++) if (results[slot] === 1) sets[slot]!.add(computer.id);
  }
  return new Map(compiled.groups.map((g, slot) => [g.id, sets[slot] ?? new Set<number>()]));
}

/** DESIGN §2.1: the ids of the groups one computer is in (used when that computer's inventory changes). */
export function evaluateSmartGroupsForComputer(compiled: CompiledGroups, computer: ComputerFacts, now: Date): Set<number> {
  const results = new Uint8Array(compiled.groups.length);
  evaluateInto(compiled, computer, results, now.getTime());
  return new Set(compiled.groups.filter((g) => results[g.slot] === 1).map((g) => g.id));
}

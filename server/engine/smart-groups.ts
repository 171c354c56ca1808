// Smart groups (DESIGN §2.1): the field and operator table, validation, compilation of a criteria list into
// an expression tree, and evaluation over computers. Jamf Pro's semantics: string comparisons ignore case,
// `and` binds tighter than `or`, parentheses override, the first criterion's joiner is ignored.
import { andInto, complement, forEachBit, fullBitset, newBitset, orInto, setBit, type Bitset } from "./bitset";
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

/**
 * Who has each app, for a fleet evaluation: for each value of an app set (a lowercased bundle id, a
 * normalizeAppName'd name), the positions of the computers that have it in the array being evaluated. The
 * loader builds it from the installed-app rows it reads anyway (loadFleetFacts); without it the evaluation
 * walks every computer's two sets, 100,000 separate hash tables at full scale.
 */
export type AppIndex = { appNames: ReadonlyMap<string, ArrayLike<number>>; appBundleIds: ReadonlyMap<string, ArrayLike<number>> };

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
type Test = (computer: Prepared, nowMs: number) => boolean;

/**
 * DESIGN §2.1: one compiled group; `slot` is its place in the evaluation order. `leaves` are its criteria
 * (by index, as `expression` refers to them) and `keys` name each for sharing across groups.
 */
export type CompiledGroup = { id: number; name: string; slot: number; expression: SmartGroupExpression; leaves: Leaf[]; keys: string[] };

/** DESIGN §2.1, §3.2: groups ordered so referenced groups are evaluated first, ready to evaluate per computer. */
export type CompiledGroups = {
  groups: CompiledGroup[];
  /** Every group, for one computer at a time (evaluateInto). */
  program: ComputerProgram;
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

/**
 * One criterion, compiled: which fact it reads and the predicate over that fact's value. The per-computer
 * test and the fleet-wide bitset are both made from it (leafTest, FleetView.bitsOf), so the two evaluations share
 * one definition of what each operator means.
 */
type Leaf =
  | { kind: "const"; value: boolean }
  /** `raw` as reported ("" when absent), `lower` the same lowercased. */
  | { kind: "string"; field: "name" | "serial" | "model"; test: (raw: string, lower: string) => boolean }
  | { kind: "os"; test: (osVersion: string | null) => boolean }
  | { kind: "arch"; test: (architecture: ComputerFacts["architecture"]) => boolean }
  | { kind: "set"; field: "appNames" | "appBundleIds"; value: string; has: boolean }
  /** Older than `days` (never included) or, if not `older`, within them. */
  | { kind: "time"; field: "lastCheckinAt" | "lastInventoryAt"; days: number; older: boolean }
  | { kind: "group"; slot: number | undefined; member: boolean };

/**
 * "More than x days ago" includes never (NaN); "less than x days ago" is the rest: the two operators split
 * every instant at now − x days.
 */
const isOlder = (atMs: number, cutoffMs: number) => Number.isNaN(atMs) || atMs < cutoffMs;

function leafTest(leaf: Exclude<Leaf, { kind: "const" | "group" }>): Test {
  switch (leaf.kind) {
    case "string": {
      const { test } = leaf;
      if (leaf.field === "name") return (p) => test(p.facts.name, p.name);
      if (leaf.field === "serial") return (p) => test(p.facts.serialNumber ?? "", p.serial);
      return (p) => test(p.facts.model ?? "", p.model);
    }
    case "os":
      return (p) => leaf.test(p.facts.osVersion);
    case "arch":
      return (p) => leaf.test(p.facts.architecture);
    case "set": {
      const { field, value, has } = leaf;
      return (p) => p.facts[field].has(value) === has;
    }
    case "time": {
      const { field, days, older } = leaf;
      return (p, now) => isOlder(p.facts[field]?.getTime() ?? Number.NaN, now - days * DAY_MS) === older;
    }
  }
}

/**
 * Every group's expression for one computer at a time, as one array of operations in evaluation order
 * (postfix, group after group, each ending in a store to its slot), over the distinct criteria of all the
 * groups, each tested once per computer before the groups combine them. A tree of closures per group (200
 * groups, ~600 closures) is what an inventory update used to walk: out of the caches by then, touching them
 * cost more than the tests. Here a computer reads one Int32Array and one closure per distinct criterion.
 * Group criteria read the slots stored so far, as the fleet evaluation reads its earlier bitsets.
 */
type ComputerProgram = { tests: Test[]; ops: Int32Array; depth: number };

const OP_TEST = 0; // index into tests
const OP_CONST = 1; // 0 or 1
const OP_GROUP = 2; // slot, member (1) or not member (0)
const OP_AND = 3; // operand count
const OP_OR = 4; // operand count
const OP_STORE = 5; // slot

function computerProgram(groups: readonly CompiledGroup[]): ComputerProgram {
  const tests: Test[] = [];
  const testAt = new Map<string, number>();
  const ops: number[] = [];
  let depth = 0;
  // `at`: the stack height before this expression's value is pushed.
  const emit = (expression: SmartGroupExpression, g: CompiledGroup, at: number) => {
    depth = Math.max(depth, at + 1);
    switch (expression.kind) {
      case "all":
      case "none":
        ops.push(OP_CONST, expression.kind === "all" ? 1 : 0);
        return;
      case "criterion": {
        const leaf = g.leaves[expression.index];
        if (!leaf) ops.push(OP_CONST, 0);
        else if (leaf.kind === "const") ops.push(OP_CONST, leaf.value ? 1 : 0);
        else if (leaf.kind === "group") {
          if (leaf.slot === undefined) ops.push(OP_CONST, leaf.member ? 0 : 1);
          else ops.push(OP_GROUP, leaf.slot, leaf.member ? 1 : 0);
        } else {
          // Equal criteria (equal keys, as the fleet evaluation shares them) are one test.
          const key = g.keys[expression.index]!;
          let t = testAt.get(key);
          if (t === undefined) testAt.set(key, (t = tests.push(leafTest(leaf)) - 1));
          ops.push(OP_TEST, t);
        }
        return;
      }
      case "and":
      case "or":
        expression.children.forEach((child, i) => emit(child, g, at + i));
        ops.push(expression.kind === "and" ? OP_AND : OP_OR, expression.children.length);
        return;
    }
  };
  for (const g of groups) {
    emit(g.expression, g, 0);
    ops.push(OP_STORE, g.slot);
  }
  return { tests, ops: Int32Array.from(ops), depth };
}

/** One criterion as a leaf; `slotOf` gives the evaluation slot of a referenced group (lowercased name). */
function compileCriterion(c: Criterion, slotOf: (lowerName: string) => number | undefined): Leaf {
  const value = c.value.trim();
  const lower = value.toLowerCase();
  const never: Leaf = { kind: "const", value: false };
  switch (c.field) {
    case "Computer Name":
    case "Serial Number":
    case "Model": {
      const field = c.field === "Computer Name" ? "name" : c.field === "Serial Number" ? "serial" : "model";
      switch (c.operator) {
        case "is":
          return { kind: "string", field, test: (_raw, l) => l === lower };
        case "is not":
          return { kind: "string", field, test: (_raw, l) => l !== lower };
        case "like":
          return { kind: "string", field, test: (_raw, l) => l.includes(lower) };
        case "not like":
          return { kind: "string", field, test: (_raw, l) => !l.includes(lower) };
        case "matches regex": {
          if (c.value.length > MAX_REGEX_LENGTH) return never;
          let re: RegExp;
          try {
            re = new RegExp(c.value, "i");
          } catch {
            return never;
          }
          return { kind: "string", field, test: (raw) => re.test(raw) };
        }
      }
      break;
    }
    case "Operating System Version": {
      const known = (os: string | null): os is string => os !== null && isVersionLike(os);
      switch (c.operator) {
        case "is":
          return { kind: "os", test: (os) => known(os) && compareVersions(os, value) === 0 };
        case "is not":
          return { kind: "os", test: (os) => !known(os) || compareVersions(os, value) !== 0 };
        case "greater than":
          return { kind: "os", test: (os) => known(os) && compareVersions(os, value) > 0 };
        case "greater than or equal":
          return { kind: "os", test: (os) => known(os) && compareVersions(os, value) >= 0 };
        case "less than":
          return { kind: "os", test: (os) => known(os) && compareVersions(os, value) < 0 };
        case "less than or equal":
          return { kind: "os", test: (os) => known(os) && compareVersions(os, value) <= 0 };
      }
      break;
    }
    case "Architecture Type": {
      const arch = parseArchitecture(value);
      if (c.operator === "is") return { kind: "arch", test: (a) => arch !== undefined && a === arch };
      if (c.operator === "is not") return { kind: "arch", test: (a) => a !== arch };
      break;
    }
    case "Application Title":
    case "Application Bundle ID": {
      const field = c.field === "Application Title" ? "appNames" : "appBundleIds";
      const wanted = c.field === "Application Title" ? normalizeAppName(value) : lower;
      if (c.operator === "has") return { kind: "set", field, value: wanted, has: true };
      if (c.operator === "does not have") return { kind: "set", field, value: wanted, has: false };
      break;
    }
    case "Last Check-in":
    case "Last Inventory Update": {
      const days = Number(value);
      if (!Number.isInteger(days) || days < 0) return never;
      const field = c.field === "Last Check-in" ? "lastCheckinAt" : "lastInventoryAt";
      if (c.operator === "more than x days ago") return { kind: "time", field, days, older: true };
      if (c.operator === "less than x days ago") return { kind: "time", field, days, older: false };
      break;
    }
    case "Computer Group": {
      const slot = slotOf(lower);
      if (c.operator === "member of") return { kind: "group", slot, member: true };
      if (c.operator === "not member of") return { kind: "group", slot, member: false };
      break;
    }
  }
  return never;
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
    if (errors.length > 0 || inCycle.has(g.id)) return { id: g.id, name: g.name, slot, expression: { kind: "none" }, leaves: [], keys: [] };
    for (const c of g.criteria) {
      if (c.field === "Last Check-in" || c.field === "Last Inventory Update") timeCriteria.set(`${c.field}|${Number(c.value)}`, { field: c.field, days: Number(c.value) });
    }
    const expression = parseCriteria(g.criteria);
    const leaves = g.criteria.map((c) => compileCriterion(c, slotOf));
    // Equal criteria in different groups share one evaluation over the fleet.
    const keys = g.criteria.map((c) => JSON.stringify([c.field, c.operator, c.field === "Computer Group" ? lowerName(c.value) : c.value]));
    return { id: g.id, name: g.name, slot, expression, leaves, keys };
  });
  return { groups: compiled, program: computerProgram(compiled), timeCriteria: [...timeCriteria.values()], cycles, invalid };
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

/** Every group for one computer into `results` (by slot): the distinct criteria, then the program's operations. */
function evaluateInto(compiled: CompiledGroups, computer: ComputerFacts, results: Uint8Array, nowMs: number) {
  const prepared = prepare(computer);
  const { tests, ops, depth } = compiled.program;
  const values = new Uint8Array(tests.length);
  for (let t = 0; t < tests.length; t++) values[t] = tests[t]!(prepared, nowMs) ? 1 : 0;
  const stack = new Uint8Array(depth);
  let sp = 0;
  for (let pc = 0; pc < ops.length; ) {
    switch (ops[pc++]) {
      case OP_TEST:
        stack[sp++] = values[ops[pc++]!]!;
        break;
      case OP_CONST:
        stack[sp++] = ops[pc++]!;
        break;
      case OP_GROUP: {
        const member = results[ops[pc++]!] === 1 ? 1 : 0;
        stack[sp++] = member === ops[pc++] ? 1 : 0;
        break;
      }
      case OP_AND: {
        let v = 1;
        for (let n = ops[pc++]!; n > 0; n--) v &= stack[--sp]!;
        stack[sp++] = v;
        break;
      }
      case OP_OR: {
        let v = 0;
        for (let n = ops[pc++]!; n > 0; n--) v |= stack[--sp]!;
        stack[sp++] = v;
        break;
      }
      case OP_STORE:
        results[ops[pc++]!] = stack[--sp]!;
        break;
    }
  }
}

/** A string fact's distinct values (and lowercased), each computer's code into them, and each value's members once asked. */
type Column = { codes: Int32Array; values: (string | null)[]; lowers: string[]; byValue?: Bitset[] };

/**
 * Up to this many distinct values (architectures, models, macOS versions), a criterion over a column is the
 * union of its matching values' members: at most 32 word operations per 32 computers, as many as testing
 * each computer's code, and usually far fewer.
 */
const FEW_VALUES = 64;

type ColumnField = "name" | "serial" | "model" | "os" | "arch";
type TimeField = "lastCheckinAt" | "lastInventoryAt";

// The per-computer loops of a criterion, as functions of their own: inside evaluateLeaf, whose calls see
// every kind of criterion, V8 kept deoptimizing them (41 times in five passes), running them unoptimized.

/** Each word of `bits` built in a register from 32 computers' answers (`match` by value code; no read-modify-write). */
function matchedWords(bits: Bitset, match: Uint8Array, codes: Int32Array, size: number) {
  for (let w = 0, i = 0; w < bits.length; w++) {
    let word = 0;
    for (let b = 0; b < 32 && i < size; b++, i++) word |= match[codes[i]!]! << b;
    bits[w] = word;
  }
}

/** Bits of the computers whose instant is older than `cutoff` (never included), or, if not `older`, the rest. */
function olderWords(bits: Bitset, at: Float64Array, cutoff: number, older: boolean, size: number) {
  for (let w = 0, i = 0; w < bits.length; w++) {
    let word = 0;
    for (let b = 0; b < 32 && i < size; b++, i++) if (isOlder(at[i]!, cutoff) === older) word |= 1 << b;
    bits[w] = word;
  }
}

/** The facts the criteria of `compiled` read as columns (FleetView reads them in one visit). */
function fieldsOf(compiled: CompiledGroups): { columns: ColumnField[]; times: TimeField[] } {
  const columns = new Set<ColumnField>();
  const times = new Set<TimeField>();
  for (const g of compiled.groups) {
    for (const leaf of g.leaves) {
      if (leaf.kind === "string") columns.add(leaf.field);
      else if (leaf.kind === "os" || leaf.kind === "arch") columns.add(leaf.kind);
      else if (leaf.kind === "time") times.add(leaf.field);
    }
  }
  return { columns: [...columns], times: [...times] };
}

/**
 * One evaluation's view of the fleet: each criterion is evaluated once over all computers into a bitset,
 * reading a column of distinct values where there are few (models, macOS versions), and shared by every
 * group that uses the same criterion.
 */
class FleetView {
  readonly size: number;
  private readonly leafBits = new Map<string, Bitset>();
  private columns: Map<ColumnField, Column> | undefined;
  private times: Map<TimeField, Float64Array> | undefined;
  constructor(
    readonly computers: readonly ComputerFacts[],
    readonly nowMs: number,
    /** Every value a "has" criterion asks of each app set, so one visit of a computer's set answers all. */
    private readonly wanted: { appNames: string[]; appBundleIds: string[] },
    /** The facts some criterion reads, read from each computer in one visit (see column). */
    private readonly fields: { columns: ColumnField[]; times: TimeField[] },
    private readonly apps?: AppIndex,
  ) {
    this.size = computers.length;
  }

  /**
   * Distinct values of a string fact, and each computer's index into them (serial numbers: one each). Every
   * column and instant in use is read in one visit of the computers: 100,000 facts objects spread over the
   * heap cost a cache miss each, once rather than once per field.
   */
  private column(field: ColumnField): Column {
    if (!this.columns) this.readFacts();
    return this.columns!.get(field)!;
  }

  private readFacts() {
    const { size, computers } = this;
    const fields = this.fields.columns;
    const codes = fields.map(() => new Int32Array(size));
    const values = fields.map((): (string | null)[] => []);
    const index = fields.map(() => new Map<string | null, number>());
    const times = this.fields.times.map(() => new Float64Array(size));
    const timeFields = this.fields.times;
    for (let i = 0; i < size; i++) {
      const c = computers[i]!;
      for (let f = 0; f < fields.length; f++) {
        const field = fields[f]!;
        const value = field === "name" ? c.name : field === "serial" ? (c.serialNumber ?? "") : field === "model" ? (c.model ?? "") : field === "os" ? c.osVersion : c.architecture;
        if (field === "serial") {
          codes[f]![i] = values[f]!.push(value) - 1;
          continue;
        }
        let code = index[f]!.get(value);
        if (code === undefined) index[f]!.set(value, (code = values[f]!.push(value) - 1));
        codes[f]![i] = code;
      }
      for (let t = 0; t < timeFields.length; t++) times[t]![i] = c[timeFields[t]!]?.getTime() ?? Number.NaN;
    }
    this.columns = new Map(fields.map((field, f) => [field, { codes: codes[f]!, values: values[f]!, lowers: values[f]!.map((v) => (v ?? "").toLowerCase()) }]));
    this.times = new Map(timeFields.map((field, t) => [field, times[t]!]));
  }

  /** Each value's computers (bitsets by value code), for a column of at most FEW_VALUES values. */
  private valueBits(column: Column): Bitset[] {
    if (column.byValue) return column.byValue;
    const byValue = column.values.map(() => newBitset(this.size));
    for (let i = 0; i < this.size; i++) setBit(byValue[column.codes[i]!]!, i);
    return (column.byValue = byValue);
  }

  /** An instant fact as milliseconds (NaN for never). */
  private time(field: TimeField): Float64Array {
    if (!this.times) this.readFacts();
    return this.times!.get(field)!;
  }

  /**
   * Who has each wanted value in an app set: from the AppIndex when the loader made one, else one walk of
   * each computer's set (100,000 separate hash tables are where the time goes), looking its entries up among
   * the wanted values, rather than one walk per criterion.
   */
  private appSets(field: "appNames" | "appBundleIds") {
    const values = this.wanted[field];
    const bits = values.map(() => newBitset(this.size));
    const holders = this.apps?.[field];
    if (holders) {
      // Only the computers that have a wanted app are visited.
      values.forEach((value, v) => {
        const positions = holders.get(value) ?? [];
        for (let p = 0; p < positions.length; p++) setBit(bits[v]!, positions[p]!);
      });
    } else {
      const index = new Map(values.map((v, k) => [v, k]));
      for (let i = 0; i < this.size; i++) {
        for (const app of this.computers[i]![field]) {
          const v = index.get(app);
          if (v !== undefined) setBit(bits[v]!, i);
        }
      }
    }
    values.forEach((value, v) => this.leafBits.set(JSON.stringify(["set", field, value]), bits[v]!));
  }

  /** A criterion's members; `slots` holds the groups evaluated so far (Computer Group criteria). */
  bitsOf(leaf: Leaf, key: string, slots: readonly Bitset[]): Bitset {
    if (leaf.kind === "group") {
      const members = (leaf.slot === undefined ? undefined : slots[leaf.slot]) ?? newBitset(this.size);
      return leaf.member ? members : complement(members, this.size);
    }
    if (leaf.kind === "set") {
      const hasKey = JSON.stringify(["set", leaf.field, leaf.value]);
      if (!this.leafBits.has(hasKey)) this.appSets(leaf.field);
      const has = this.leafBits.get(hasKey) ?? newBitset(this.size);
      return leaf.has ? has : complement(has, this.size);
    }
    let bits = this.leafBits.get(key);
    if (!bits) this.leafBits.set(key, (bits = this.evaluateLeaf(leaf)));
    return bits;
  }

  private evaluateLeaf(leaf: Exclude<Leaf, { kind: "group" | "set" }>): Bitset {
    const bits = newBitset(this.size);
    const { size } = this;
    switch (leaf.kind) {
      case "const":
        return leaf.value ? fullBitset(size) : bits;
      case "string":
      case "os":
      case "arch": {
        // Each distinct value is tested once (a fleet has a few dozen macOS versions and models).
        const column = this.column(leaf.kind === "string" ? leaf.field : leaf.kind);
        const { codes, values, lowers } = column;
        const match = new Uint8Array(values.length);
        let matched = 0;
        for (let v = 0; v < values.length; v++) {
          const value = values[v]!;
          const ok = leaf.kind === "string" ? leaf.test(value ?? "", lowers[v]!) : leaf.kind === "os" ? leaf.test(value) : leaf.test(value as ComputerFacts["architecture"]);
          match[v] = ok ? 1 : 0;
          if (ok) matched++;
        }
        if (values.length <= FEW_VALUES) {
          // The members of each value, combined word by word: of the matching values, or the complement of
          // the others when fewer.
          const byValue = this.valueBits(column);
          const wanted = matched * 2 <= values.length ? 1 : 0;
          for (let v = 0; v < values.length; v++) if (match[v] === wanted) orInto(bits, byValue[v]!);
          return wanted === 1 ? bits : complement(bits, size);
        }
        matchedWords(bits, match, codes, size);
        return bits;
      }
      case "time":
        olderWords(bits, this.time(leaf.field), this.nowMs - leaf.days * DAY_MS, leaf.older, size);
        return bits;
    }
  }

  /** A group's expression over its criteria's bitsets: a new set (criteria sets are shared, never written). */
  bitsOfExpression(expression: SmartGroupExpression, group: CompiledGroup, slots: readonly Bitset[]): Bitset {
    const { bits, shared } = this.evaluate(expression, group, slots);
    return shared ? bits.slice() : bits;
  }

  /** An expression's set, `shared` when it is a criterion's (to be copied before it is written). */
  private evaluate(expression: SmartGroupExpression, group: CompiledGroup, slots: readonly Bitset[]): { bits: Bitset; shared: boolean } {
    switch (expression.kind) {
      case "all":
        return { bits: fullBitset(this.size), shared: false };
      case "none":
        return { bits: newBitset(this.size), shared: false };
      case "criterion": {
        const leaf = group.leaves[expression.index];
        return leaf ? { bits: this.bitsOf(leaf, group.keys[expression.index]!, slots), shared: true } : { bits: newBitset(this.size), shared: false };
      }
      case "and":
      case "or": {
        // Only the first child's set is written (a copy if it is shared); the others are read.
        const [head, ...rest] = expression.children;
        if (!head) return { bits: newBitset(this.size), shared: false };
        const first = this.evaluate(head, group, slots);
        const bits = first.shared ? first.bits.slice() : first.bits;
        const combine = expression.kind === "and" ? andInto : orInto;
        for (const child of rest) combine(bits, this.evaluate(child, group, slots).bits);
        return { bits, shared: false };
      }
    }
  }
}

/**
 * DESIGN §2.1, §3.2: every group's members as bitsets over `computers` (bit i is computers[i]), by slot:
 * each distinct criterion is evaluated once over the fleet, then groups combine them word by word. `apps`,
 * when given, must describe the same computers' app sets (by position in `computers`).
 */
export function evaluateSmartGroupBits(compiled: CompiledGroups, computers: readonly ComputerFacts[], now: Date, apps?: AppIndex): Bitset[] {
  const wanted = { appNames: new Set<string>(), appBundleIds: new Set<string>() };
  for (const g of compiled.groups) for (const leaf of g.leaves) if (leaf.kind === "set") wanted[leaf.field].add(leaf.value);
  const fleet = new FleetView(computers, now.getTime(), { appNames: [...wanted.appNames], appBundleIds: [...wanted.appBundleIds] }, fieldsOf(compiled), apps);
  const slots: Bitset[] = [];
  for (const g of compiled.groups) slots[g.slot] = fleet.bitsOfExpression(g.expression, g, slots);
  return slots;
}

/**
 * Below this many computers (an inventory update, a slice of a pass) each is evaluated alone: the fleet's
 * bitsets cost a fixed few hundred microseconds (a set per criterion), about ten computers' worth.
 */
const FLEET_EVALUATION_FROM = 32;

/** DESIGN §2.1, §3.2: every group's members (group id → computer ids); `apps` as for evaluateSmartGroupBits. */
export function evaluateSmartGroups(compiled: CompiledGroups, computers: ComputerFacts[], now: Date, apps?: AppIndex): Map<number, Set<number>> {
  if (computers.length < FLEET_EVALUATION_FROM) {
    const members = new Map(compiled.groups.map((g) => [g.id, new Set<number>()]));
    const results = new Uint8Array(compiled.groups.length);
    for (const computer of computers) {
      evaluateInto(compiled, computer, results, now.getTime());
      for (const g of compiled.groups) if (results[g.slot] === 1) members.get(g.id)!.add(computer.id);
    }
    return members;
  }
  const slots = evaluateSmartGroupBits(compiled, computers, now, apps);
  return new Map(
    compiled.groups.map((g) => {
      const members = new Set<number>();
      forEachBit(slots[g.slot]!, (i) => members.add(computers[i]!.id));
      return [g.id, members];
    }),
  );
}

/** DESIGN §2.1: the ids of the groups one computer is in (used when that computer's inventory changes). */
export function evaluateSmartGroupsForComputer(compiled: CompiledGroups, computer: ComputerFacts, now: Date): Set<number> {
  const results = new Uint8Array(compiled.groups.length);
  evaluateInto(compiled, computer, results, now.getTime());
  return new Set(compiled.groups.filter((g) => results[g.slot] === 1).map((g) => g.id));
}

import fc from "fast-check";
import safeRegex from "safe-regex2";
import { describe, expect, it } from "vitest";

import { hasBit } from "./bitset";
import {
  compileSmartGroups,
  evaluateSmartGroupBits,
  evaluateSmartGroups,
  evaluateSmartGroupsForComputer,
  formatSmartGroupErrors,
  normalizeAppName,
  parseCriteria,
  SMART_GROUP_FIELDS,
  validateSmartGroup,
  validateSmartGroupCriteria,
  type AppIndex,
  type ComputerFacts,
  type Criterion,
  type GroupDefinition,
  type SmartGroupError,
} from "./smart-groups";

const NOW = new Date("2026-03-02T09:00:00.000Z");
const DAY = 24 * 60 * 60 * 1000;
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY);

const mac = (over: Partial<ComputerFacts> = {}): ComputerFacts => ({
  id: 1,
  name: "Lab-MacBook-01",
  serialNumber: "C02XK1ABCDEF",
  model: "MacBook Air",
  osVersion: "14.5",
  architecture: "arm64",
  lastCheckinAt: daysAgo(1),
  lastInventoryAt: daysAgo(3),
  appBundleIds: new Set(["com.google.chrome", "org.mozilla.firefox"]),
  appNames: new Set(["google chrome", "firefox"]),
  ...over,
});

const c = (field: string, operator: string, value: string, extra: Partial<Criterion> = {}): Criterion => ({ field, operator, value, ...extra });

/**
 * Whether a single group with these criteria holds this computer. Both evaluations answer (one computer's
 * groups, and the fleet's bitsets with the computer among others), and must agree.
 */
const matches = (criteria: Criterion[], computer: ComputerFacts = mac()) => {
  const compiled = compileSmartGroups([{ id: 1, name: "G", criteria }]);
  const alone = evaluateSmartGroupsForComputer(compiled, computer, NOW).has(1);
  const others = [mac({ id: 101, name: "Other", serialNumber: null, model: null, osVersion: null, architecture: null, lastCheckinAt: null, lastInventoryAt: null, appBundleIds: new Set(), appNames: new Set() })];
  const fleet = [...others, { ...computer, id: 100 }, ...others];
  const inFleet = hasBit(evaluateSmartGroupBits(compiled, fleet, NOW)[compiled.groups[0]!.slot]!, others.length);
  expect(inFleet, "the fleet-wide evaluation agrees with the one-computer evaluation").toBe(alone);
  return alone;
};

const opts = { isSafeRegex: (p: string) => safeRegex(p) };

describe("SMART_GROUP_FIELDS", () => {
  it("lists every field of DESIGN §2.1 with its operators", () => {
    expect(Object.keys(SMART_GROUP_FIELDS)).toEqual([
      "Computer Name",
      "Serial Number",
      "Model",
      "Operating System Version",
      "Architecture Type",
      "Application Title",
      "Application Bundle ID",
      "Last Check-in",
      "Last Inventory Update",
      "Computer Group",
    ]);
    expect(SMART_GROUP_FIELDS["Computer Name"]).toEqual(["is", "is not", "like", "not like", "matches regex"]);
    expect(SMART_GROUP_FIELDS["Operating System Version"]).toEqual(["is", "is not", "greater than", "greater than or equal", "less than", "less than or equal"]);
    expect(SMART_GROUP_FIELDS["Last Inventory Update"]).toEqual(["more than x days ago", "less than x days ago"]);
    expect(SMART_GROUP_FIELDS["Computer Group"]).toEqual(["member of", "not member of"]);
  });
});

describe("criteria: every field × operator", () => {
  it.each([
    // Computer Name (the computer is "Lab-MacBook-01")
    ["Computer Name is: equal, ignoring case", c("Computer Name", "is", "lab-macbook-01"), mac(), true],
    ["Computer Name is: different", c("Computer Name", "is", "Lab-MacBook-02"), mac(), false],
    ["Computer Name is not: different", c("Computer Name", "is not", "Lab-MacBook-02"), mac(), true],
    ["Computer Name is not: equal, ignoring case", c("Computer Name", "is not", "LAB-MACBOOK-01"), mac(), false],
    ["Computer Name like: contains, ignoring case", c("Computer Name", "like", "MACBOOK"), mac(), true],
    ["Computer Name like: does not contain", c("Computer Name", "like", "imac"), mac(), false],
    ["Computer Name not like: does not contain", c("Computer Name", "not like", "imac"), mac(), true],
    ["Computer Name not like: contains", c("Computer Name", "not like", "macbook"), mac(), false],
    ["Computer Name matches regex: matches, ignoring case", c("Computer Name", "matches regex", "^lab-macbook-\\d+$"), mac(), true],
    ["Computer Name matches regex: no match", c("Computer Name", "matches regex", "^office-"), mac(), false],
    // Serial Number
    ["Serial Number is: equal, ignoring case", c("Serial Number", "is", "c02xk1abcdef"), mac(), true],
    ["Serial Number is: different", c("Serial Number", "is", "C02XK1ABCDEG"), mac(), false],
    ["Serial Number is not: different", c("Serial Number", "is not", "C02XK1ABCDEG"), mac(), true],
    ["Serial Number is not: equal", c("Serial Number", "is not", "C02XK1ABCDEF"), mac(), false],
    ["Serial Number like: contains", c("Serial Number", "like", "xk1"), mac(), true],
    ["Serial Number like: does not contain", c("Serial Number", "like", "ZZ"), mac(), false],
    ["Serial Number not like: does not contain", c("Serial Number", "not like", "ZZ"), mac(), true],
    ["Serial Number not like: contains", c("Serial Number", "not like", "C02"), mac(), false],
    ["Serial Number matches regex: matches", c("Serial Number", "matches regex", "^c02[a-z0-9]{9}$"), mac(), true],
    ["Serial Number matches regex: no match", c("Serial Number", "matches regex", "^F"), mac(), false],
    ["Serial Number unknown: is not holds", c("Serial Number", "is not", "C02XK1ABCDEF"), mac({ serialNumber: null }), true],
    ["Serial Number unknown: like fails", c("Serial Number", "like", "C02"), mac({ serialNumber: null }), false],
    // Model
    ["Model is: equal, ignoring case", c("Model", "is", "macbook air"), mac(), true],
    ["Model is: different", c("Model", "is", "MacBook Pro"), mac(), false],
    ["Model is not: different", c("Model", "is not", "MacBook Pro"), mac(), true],
    ["Model is not: equal", c("Model", "is not", "MacBook Air"), mac(), false],
    ["Model like: contains", c("Model", "like", "book"), mac(), true],
    ["Model like: does not contain", c("Model", "like", "iMac"), mac(), false],
    ["Model not like: does not contain", c("Model", "not like", "iMac"), mac(), true],
    ["Model not like: contains", c("Model", "not like", "Air"), mac(), false],
    ["Model matches regex: matches", c("Model", "matches regex", "^macbook (air|pro)$"), mac(), true],
    ["Model matches regex: no match", c("Model", "matches regex", "^imac"), mac(), false],
    // Operating System Version (the computer runs 14.5)
    ["OS is: equal", c("Operating System Version", "is", "14.5"), mac(), true],
    ["OS is: equal numerically (14.5.0)", c("Operating System Version", "is", "14.5.0"), mac(), true],
    ["OS is: different", c("Operating System Version", "is", "14.4"), mac(), false],
    ["OS is not: different", c("Operating System Version", "is not", "14.4"), mac(), true],
    ["OS is not: equal", c("Operating System Version", "is not", "14.5"), mac(), false],
    ["OS greater than: above", c("Operating System Version", "greater than", "14.4.1"), mac(), true],
    ["OS greater than: equal is not above", c("Operating System Version", "greater than", "14.5"), mac(), false],
    ["OS greater than: 13.10 > 13.9 (numeric per dot)", c("Operating System Version", "greater than", "13.9"), mac({ osVersion: "13.10" }), true],
    ["OS greater than or equal: equal", c("Operating System Version", "greater than or equal", "14.5"), mac(), true],
    ["OS greater than or equal: below", c("Operating System Version", "greater than or equal", "14.6"), mac(), false],
    ["OS less than: below", c("Operating System Version", "less than", "15"), mac(), true],
    ["OS less than: equal is not below", c("Operating System Version", "less than", "14.5"), mac(), false],
    ["OS less than: 13.9 < 13.10", c("Operating System Version", "less than", "13.10"), mac({ osVersion: "13.9" }), true],
    ["OS less than or equal: equal", c("Operating System Version", "less than or equal", "14.5"), mac(), true],
    ["OS less than or equal: above", c("Operating System Version", "less than or equal", "14.4"), mac(), false],
    // Unknown OS version: only "is not" matches
    ["OS unknown: is fails", c("Operating System Version", "is", "14.5"), mac({ osVersion: null }), false],
    ["OS unknown: is not holds", c("Operating System Version", "is not", "14.5"), mac({ osVersion: null }), true],
    ["OS unknown: greater than fails", c("Operating System Version", "greater than", "1"), mac({ osVersion: null }), false],
    ["OS unknown: greater than or equal fails", c("Operating System Version", "greater than or equal", "1"), mac({ osVersion: null }), false],
    ["OS unknown: less than fails", c("Operating System Version", "less than", "99"), mac({ osVersion: null }), false],
    ["OS unknown: less than or equal fails", c("Operating System Version", "less than or equal", "99"), mac({ osVersion: null }), false],
    ["OS not a version: less than fails", c("Operating System Version", "less than", "99"), mac({ osVersion: "unknown" }), false],
    // Architecture Type
    ["Architecture is arm64", c("Architecture Type", "is", "arm64"), mac(), true],
    ["Architecture is x86_64: no", c("Architecture Type", "is", "x86_64"), mac(), false],
    ["Architecture is Apple silicon (alias, any case)", c("Architecture Type", "is", "apple Silicon"), mac(), true],
    ["Architecture is Intel (alias)", c("Architecture Type", "is", "Intel"), mac({ architecture: "x86_64" }), true],
    ["Architecture is not Intel", c("Architecture Type", "is not", "intel"), mac(), true],
    ["Architecture is not ARM64: no", c("Architecture Type", "is not", "ARM64"), mac(), false],
    ["Architecture unknown: is fails", c("Architecture Type", "is", "arm64"), mac({ architecture: null }), false],
    ["Architecture unknown: is not holds", c("Architecture Type", "is not", "arm64"), mac({ architecture: null }), true],
    // Application Title (installed: "Google Chrome", "Firefox")
    ["Application Title has: equal, ignoring case", c("Application Title", "has", "google CHROME"), mac(), true],
    ["Application Title has: with .app", c("Application Title", "has", "Google Chrome.app"), mac(), true],
    ["Application Title has: not installed", c("Application Title", "has", "Safari"), mac(), false],
    ["Application Title has: a prefix is not a title", c("Application Title", "has", "Google"), mac(), false],
    ["Application Title does not have: not installed", c("Application Title", "does not have", "Safari"), mac(), true],
    ["Application Title does not have: installed", c("Application Title", "does not have", "FIREFOX.app"), mac(), false],
    // Application Bundle ID
    ["Application Bundle ID has: exact, ignoring case", c("Application Bundle ID", "has", "com.google.Chrome"), mac(), true],
    ["Application Bundle ID has: not installed", c("Application Bundle ID", "has", "com.apple.Safari"), mac(), false],
    ["Application Bundle ID has: a prefix is not a bundle id", c("Application Bundle ID", "has", "com.google"), mac(), false],
    ["Application Bundle ID does not have: not installed", c("Application Bundle ID", "does not have", "com.apple.Safari"), mac(), true],
    ["Application Bundle ID does not have: installed", c("Application Bundle ID", "does not have", "org.mozilla.firefox"), mac(), false],
    // Last Check-in (1 day ago)
    ["Last Check-in more than 0 days ago", c("Last Check-in", "more than x days ago", "0"), mac(), true],
    ["Last Check-in more than 7 days ago: no", c("Last Check-in", "more than x days ago", "7"), mac(), false],
    ["Last Check-in less than 7 days ago", c("Last Check-in", "less than x days ago", "7"), mac(), true],
    ["Last Check-in exactly 1 day ago is not more than 1 day ago", c("Last Check-in", "more than x days ago", "1"), mac(), false],
    ["Last Check-in exactly 1 day ago is within 1 day", c("Last Check-in", "less than x days ago", "1"), mac(), true],
    ["Last Check-in less than 0 days ago: no", c("Last Check-in", "less than x days ago", "0"), mac(), false],
    ["Last Check-in never: more than 7 days ago", c("Last Check-in", "more than x days ago", "7"), mac({ lastCheckinAt: null }), true],
    ["Last Check-in never: not less than 7 days ago", c("Last Check-in", "less than x days ago", "7"), mac({ lastCheckinAt: null }), false],
    ["Last Check-in 8 days ago: more than 7", c("Last Check-in", "more than x days ago", "7"), mac({ lastCheckinAt: daysAgo(8) }), true],
    // Last Inventory Update (3 days ago)
    ["Last Inventory Update more than 2 days ago", c("Last Inventory Update", "more than x days ago", "2"), mac(), true],
    ["Last Inventory Update more than 3 days ago: no", c("Last Inventory Update", "more than x days ago", "3"), mac(), false],
    ["Last Inventory Update less than 5 days ago", c("Last Inventory Update", "less than x days ago", "5"), mac(), true],
    ["Last Inventory Update less than 2 days ago: no", c("Last Inventory Update", "less than x days ago", "2"), mac(), false],
    ["Last Inventory Update never: more than 30 days ago", c("Last Inventory Update", "more than x days ago", "30"), mac({ lastInventoryAt: null }), true],
    ["Last Inventory Update never: not less than 30 days ago", c("Last Inventory Update", "less than x days ago", "30"), mac({ lastInventoryAt: null }), false],
  ] as const)("%s", (_name, criterion, computer, expected) => {
    expect(matches([criterion], computer)).toBe(expected);
  });

  it("normalizes app names: case, surrounding space and a trailing .app", () => {
    expect(normalizeAppName(" Google Chrome.APP ")).toBe("google chrome");
    expect(normalizeAppName("Firefox")).toBe("firefox");
    expect(normalizeAppName("Thing.app.app")).toBe("thing.app");
  });
});

describe("criteria: joiners and parentheses", () => {
  const T = (extra: Partial<Criterion> = {}) => c("Computer Name", "like", "lab", extra); // true for mac()
  const F = (extra: Partial<Criterion> = {}) => c("Computer Name", "like", "nope", extra); // false for mac()
  it.each([
    ["empty criteria match every computer", [], true],
    ["empty criteria match a computer with nothing known", [], true],
    ["a single true criterion", [T()], true],
    ["and: both true", [T(), T({ joiner: "and" })], true],
    ["and: one false", [T(), F({ joiner: "and" })], false],
    ["or: one true", [F(), T({ joiner: "or" })], true],
    ["a missing joiner means and", [T(), F()], false],
    ["first joiner is ignored (or on a false first criterion)", [F({ joiner: "or" })], false],
    ["first joiner is ignored (or before an and)", [T({ joiner: "or" }), F({ joiner: "and" })], false],
    ["and binds tighter than or: T or F and F = T or (F and F)", [T(), F({ joiner: "or" }), F({ joiner: "and" })], true],
    ["and binds tighter than or: F and T or T = (F and T) or T", [F(), T({ joiner: "and" }), T({ joiner: "or" })], true],
    ["and binds tighter than or: F or T and F = F", [F(), T({ joiner: "or" }), F({ joiner: "and" })], false],
    ["parentheses override: (T or F) and F", [T({ openParen: true }), F({ joiner: "or", closeParen: true }), F({ joiner: "and" })], false],
    ["parentheses override: F and (F or T)", [F(), F({ joiner: "and", openParen: true }), T({ joiner: "or", closeParen: true })], false],
    ["parentheses override: T and (F or T)", [T(), F({ joiner: "and", openParen: true }), T({ joiner: "or", closeParen: true })], true],
    ["parentheses around one criterion", [T({ openParen: true, closeParen: true }), F({ joiner: "and" })], false],
    [
      "nested: (F or (T and F) or T) and F",
      [F({ openParen: true }), T({ joiner: "or", openParen: true }), F({ joiner: "and", closeParen: true }), T({ joiner: "or", closeParen: true }), F({ joiner: "and" })],
      false,
    ],
    [
      "nested: (F or (T and F) or T) and T",
      [F({ openParen: true }), T({ joiner: "or", openParen: true }), F({ joiner: "and", closeParen: true }), T({ joiner: "or", closeParen: true }), T({ joiner: "and" })],
      true,
    ],
    [
      "unbalanced (a parenthesis never closed): the stored group matches nothing",
      [T(), T({ joiner: "or", openParen: true })],
      false,
    ],
  ] as const)("%s", (_name, criteria, expected) => {
    const computer = _name.includes("nothing known")
      ? mac({ serialNumber: null, model: null, osVersion: null, architecture: null, lastCheckinAt: null, lastInventoryAt: null, appBundleIds: new Set(), appNames: new Set() })
      : mac();
    expect(matches([...criteria], computer)).toBe(expected);
  });

  it("nested parentheses: F or (T and (F or T) and T), as a tree", () => {
    // Criteria 2 and 3 open a parenthesis; criterion 4 closes the inner one, criterion 5 the outer one.
    const criteria = [F(), T({ joiner: "or", openParen: true }), F({ joiner: "and", openParen: true }), T({ joiner: "or", closeParen: true }), T({ joiner: "and", closeParen: true })];
    expect(matches(criteria)).toBe(true);
    expect(parseCriteria(criteria)).toEqual({
      kind: "or",
      children: [
        { kind: "criterion", index: 0 },
        {
          kind: "and",
          children: [
            { kind: "criterion", index: 1 },
            { kind: "or", children: [{ kind: "criterion", index: 2 }, { kind: "criterion", index: 3 }] },
            { kind: "criterion", index: 4 },
          ],
        },
      ],
    });
    // With F in the inner group's second place, the inner group is false and so is the whole.
    const deciding = [F(), T({ joiner: "or", openParen: true }), F({ joiner: "and", openParen: true }), F({ joiner: "or", closeParen: true }), T({ joiner: "and", closeParen: true })];
    expect(matches(deciding)).toBe(false);
  });

  it("parses A or B and C as A or (B and C), and (A or B) and C as written", () => {
    expect(parseCriteria([T(), T({ joiner: "or" }), T({ joiner: "and" })])).toEqual({
      kind: "or",
      children: [
        { kind: "criterion", index: 0 },
        { kind: "and", children: [{ kind: "criterion", index: 1 }, { kind: "criterion", index: 2 }] },
      ],
    });
    expect(parseCriteria([T({ openParen: true }), T({ joiner: "or", closeParen: true }), T({ joiner: "and" })])).toEqual({
      kind: "and",
      children: [
        { kind: "or", children: [{ kind: "criterion", index: 0 }, { kind: "criterion", index: 1 }] },
        { kind: "criterion", index: 2 },
      ],
    });
    expect(parseCriteria([])).toEqual({ kind: "all" });
  });
});

describe("criteria: Computer Group", () => {
  const computers = [
    mac({ id: 1, name: "Lab-01", osVersion: "14.5" }),
    mac({ id: 2, name: "Lab-02", osVersion: "13.6" }),
    mac({ id: 3, name: "Office-01", osVersion: "15.1" }),
  ];
  // Ids in reverse dependency order, so evaluation order cannot come from ids.
  const groups: GroupDefinition[] = [
    { id: 1, name: "Deep", criteria: [c("Computer Group", "member of", "middle"), c("Computer Name", "like", "01", { joiner: "and" })] },
    { id: 2, name: "Middle", criteria: [c("Computer Group", "member of", "Lab Macs"), c("Operating System Version", "greater than or equal", "14", { joiner: "and" })] },
    { id: 3, name: "Lab Macs", criteria: [c("Computer Name", "like", "lab")] },
    { id: 4, name: "Not Lab", criteria: [c("Computer Group", "not member of", "LAB MACS")] },
    { id: 5, name: "Deepest", criteria: [c("Computer Group", "member of", "Deep")] },
  ];

  it.each([
    ["member of (name ignoring case)", 3, [1, 2]],
    ["not member of", 4, [3]],
    ["member of a group that is itself member of one (two deep)", 2, [1]],
    ["three deep", 1, [1]],
    ["four deep", 5, [1]],
  ] as const)("%s", (_name, groupId, members) => {
    const result = evaluateSmartGroups(compileSmartGroups(groups), computers, NOW);
    expect([...(result.get(groupId) ?? [])].sort()).toEqual(members);
  });

  it("orders referenced groups first and reports no cycles", () => {
    const compiled = compileSmartGroups(groups);
    const pos = (id: number) => compiled.groups.findIndex((g) => g.id === id);
    expect(pos(3)).toBeLessThan(pos(2));
    expect(pos(2)).toBeLessThan(pos(1));
    expect(pos(1)).toBeLessThan(pos(5));
    expect(compiled.cycles).toEqual([]);
    expect(compiled.invalid).toEqual([]);
  });

  it("evaluates one computer into the ids of its groups", () => {
    const compiled = compileSmartGroups(groups);
    expect([...evaluateSmartGroupsForComputer(compiled, computers[0]!, NOW)].sort()).toEqual([1, 2, 3, 5]);
    expect([...evaluateSmartGroupsForComputer(compiled, computers[2]!, NOW)].sort()).toEqual([4]);
  });

  it("returns an entry, possibly empty, for every group", () => {
    const result = evaluateSmartGroups(compileSmartGroups(groups), [], NOW);
    expect([...result.keys()].sort()).toEqual([1, 2, 3, 4, 5]);
    expect([...result.values()].every((s) => s.size === 0)).toBe(true);
  });

  it.each([
    ["self", [{ id: 1, name: "A", criteria: [c("Computer Group", "member of", "A")] }], [{ groupIds: [1], description: "Smart group cycle: A → A" }]],
    [
      "2-cycle",
      [
        { id: 1, name: "A", criteria: [c("Computer Group", "member of", "B")] },
        { id: 2, name: "B", criteria: [c("Computer Group", "not member of", "A")] },
      ],
      [{ groupIds: [1, 2], description: "Smart group cycle: A → B → A" }],
    ],
    [
      "3-cycle",
      [
        { id: 1, name: "A", criteria: [c("Computer Group", "member of", "B")] },
        { id: 2, name: "B", criteria: [c("Computer Group", "member of", "C")] },
        { id: 3, name: "C", criteria: [c("Computer Group", "member of", "A"), c("Computer Name", "like", "lab", { joiner: "or" })] },
      ],
      [{ groupIds: [1, 2, 3], description: "Smart group cycle: A → B → C → A" }],
    ],
  ] as const)("a stored %s cycle matches nothing and is reported", (_name, defs, cycles) => {
    const others: GroupDefinition = { id: 9, name: "Everyone", criteria: [] };
    const compiled = compileSmartGroups([...defs.map((d) => ({ ...d, criteria: [...d.criteria] })), others]);
    expect(compiled.cycles).toEqual(cycles);
    const result = evaluateSmartGroups(compiled, [mac()], NOW);
    for (const d of defs) expect(result.get(d.id)?.size).toBe(0);
    expect(result.get(9)?.size).toBe(1);
  });

  it("a stored group whose criteria no longer validate matches nothing and is reported", () => {
    const compiled = compileSmartGroups([
      { id: 1, name: "Broken", criteria: [c("Computer Group", "member of", "Gone")] },
      { id: 2, name: "Typo", criteria: [c("Colour", "is", "red")] },
    ]);
    expect(compiled.invalid).toEqual([
      { groupId: 1, name: "Broken", errors: [{ index: 0, message: 'No smart group named "Gone"' }] },
      { groupId: 2, name: "Typo", errors: [{ index: 0, message: 'Unknown field "Colour"' }] },
    ]);
    expect(evaluateSmartGroupsForComputer(compiled, mac(), NOW).size).toBe(0);
  });
});

describe("validateSmartGroup", () => {
  const lab: GroupDefinition = { id: 1, name: "Lab Macs", criteria: [c("Computer Name", "like", "lab")] };
  const valid = (criteria: Criterion[]) => ({ name: "New group", criteria });
  const errorsOf = (group: { id?: number; name: string; criteria: Criterion[] }, others: GroupDefinition[] = [lab]): SmartGroupError[] => {
    const r = validateSmartGroup(group, others, opts);
    return r.ok ? [] : r.errors;
  };
  const long = "a".repeat(257);

  it.each([
    ["unknown field", valid([c("Colour", "is", "red")]), [{ index: 0, message: 'Unknown field "Colour"' }]],
    ["unknown field named like an Object property", valid([c("constructor", "is", "x")]), [{ index: 0, message: 'Unknown field "constructor"' }]],
    [
      "operator not allowed for the field",
      valid([c("Computer Name", "like", "lab"), c("Architecture Type", "like", "arm")]),
      [{ index: 1, message: 'Operator "like" does not apply to Architecture Type (use "is" or "is not")' }],
    ],
    [
      "operator of another field",
      valid([c("Application Title", "is", "Safari")]),
      [{ index: 0, message: 'Operator "is" does not apply to Application Title (use "has" or "does not have")' }],
    ],
    ["empty value", valid([c("Computer Name", "is", "  ")]), [{ index: 0, message: "Computer Name needs a value" }]],
    ["non-numeric days", valid([c("Last Check-in", "more than x days ago", "seven")]), [{ index: 0, message: '"seven" is not a whole number of days' }]],
    ["fractional days", valid([c("Last Inventory Update", "less than x days ago", "1.5")]), [{ index: 0, message: '"1.5" is not a whole number of days' }]],
    ["negative days", valid([c("Last Check-in", "less than x days ago", "-3")]), [{ index: 0, message: "The number of days cannot be negative (got -3)" }]],
    ["invalid architecture", valid([c("Architecture Type", "is", "ppc")]), [{ index: 0, message: '"ppc" is not an architecture (use arm64 or x86_64)' }]],
    ["OS version without a number", valid([c("Operating System Version", "greater than", "Sonoma")]), [{ index: 0, message: '"Sonoma" is not a macOS version (use numbers, like 14.5)' }]],
    [
      "a parenthesis closed that was never opened",
      valid([c("Computer Name", "like", "a"), c("Model", "like", "b"), c("Model", "like", "c", { closeParen: true })]),
      [{ index: 2, message: "Criterion 3 closes a parenthesis that was never opened" }],
    ],
    [
      "two parentheses never closed",
      valid([c("Computer Name", "like", "a", { openParen: true }), c("Model", "like", "b", { openParen: true })]),
      [{ message: "2 parentheses are never closed" }],
    ],
    ["one parenthesis never closed", valid([c("Computer Name", "like", "a", { openParen: true })]), [{ message: "1 parenthesis is never closed" }]],
    ["regex longer than 256 characters", valid([c("Computer Name", "matches regex", long)]), [{ index: 0, message: "The regular expression is 257 characters long (at most 256)" }]],
    ["regex that does not compile", valid([c("Serial Number", "matches regex", "(")]), [{ index: 0, message: "Invalid regular expression: /(/i: Unterminated group" }]],
    [
      "catastrophic regex",
      valid([c("Model", "matches regex", "(a+)+$")]),
      [{ index: 0, message: 'The regular expression "(a+)+$" could backtrack catastrophically (exponential time): simplify it' }],
    ],
    ["reference to a group that does not exist", valid([c("Computer Group", "member of", "Nope")]), [{ index: 0, message: 'No smart group named "Nope"' }]],
    ["self reference", { name: "Loop", criteria: [c("Computer Group", "member of", "loop")] }, [{ index: 0, message: "Smart group cycle: Loop → Loop" }]],
    ["empty name", { name: " ", criteria: [] }, [{ message: "The name is required" }]],
    ["duplicate name, ignoring case", { name: "LAB MACS", criteria: [] }, [{ message: 'A smart group named "LAB MACS" already exists' }]],
    [
      "several errors at once, in criterion order",
      { name: "", criteria: [c("Colour", "is", "x"), c("Computer Name", "is", "", { closeParen: true })] },
      [
        { message: "The name is required" },
        { index: 0, message: 'Unknown field "Colour"' },
        { index: 1, message: "Computer Name needs a value" },
        { index: 1, message: "Criterion 2 closes a parenthesis that was never opened" },
      ],
    ],
  ] as const)("%s", (_name, group, expected) => {
    expect(errorsOf({ ...group, criteria: [...group.criteria] })).toEqual(expected);
  });

  it.each([
    ["2-cycle", [{ id: 2, name: "B", criteria: [c("Computer Group", "member of", "A")] }], "Smart group cycle: A → B → A"],
    [
      "3-cycle",
      [
        { id: 2, name: "B", criteria: [c("Computer Group", "member of", "C")] },
        { id: 3, name: "C", criteria: [c("Computer Group", "not member of", "a")] },
      ],
      "Smart group cycle: A → B → C → A",
    ],
  ] as const)("refuses a %s", (_name, others, message) => {
    const group = { id: 1, name: "A", criteria: [c("Computer Name", "like", "x"), c("Computer Group", "member of", "B", { joiner: "or" })] };
    expect(errorsOf(group, others.map((o) => ({ ...o, criteria: [...o.criteria] })))).toEqual([{ index: 1, message }]);
  });

  it("accepts a valid group, including an update of itself under the same name", () => {
    const all: Criterion[] = [
      c("Computer Name", "matches regex", "^lab-\\d+$", { openParen: true }),
      c("Serial Number", "like", "C02", { joiner: "or", closeParen: true }),
      c("Operating System Version", "greater than or equal", "14.0", { joiner: "and" }),
      c("Architecture Type", "is", "Apple silicon"),
      c("Application Title", "does not have", "Safari.app"),
      c("Application Bundle ID", "has", "com.google.Chrome"),
      c("Last Check-in", "less than x days ago", "30"),
      c("Last Inventory Update", "more than x days ago", "0"),
      c("Computer Group", "member of", "lab macs"),
      c("Model", "is not", "iMac"),
    ];
    expect(validateSmartGroup({ name: "Everything", criteria: all }, [lab], opts)).toEqual({ ok: true });
    expect(validateSmartGroup({ id: 1, name: "Lab Macs", criteria: lab.criteria }, [lab], opts)).toEqual({ ok: true });
    expect(validateSmartGroup({ name: "Everyone", criteria: [] }, [], opts)).toEqual({ ok: true });
  });

  it("uses the injected checker for regex safety", () => {
    const seen: string[] = [];
    const r = validateSmartGroup({ name: "X", criteria: [c("Computer Name", "matches regex", "^x")] }, [], { isSafeRegex: (p) => (seen.push(p), false) });
    expect(seen).toEqual(["^x"]);
    expect(r.ok).toBe(false);
  });

  it("validates criteria alone for a preview of an unnamed group", () => {
    expect(validateSmartGroupCriteria([c("Computer Group", "member of", "Lab Macs")], [lab], opts)).toEqual({ ok: true });
    expect(validateSmartGroupCriteria([c("Computer Group", "member of", "Lab Macs")], [lab], opts, "lab macs")).toEqual({
      ok: false,
      errors: [{ index: 0, message: "Smart group cycle: lab macs → lab macs" }],
    });
  });

  it("formats errors as lines, naming the criterion (1-based) once", () => {
    expect(
      formatSmartGroupErrors([{ message: "The name is required" }, { index: 0, message: 'Unknown field "Colour"' }, { index: 2, message: "Criterion 3 closes a parenthesis that was never opened" }]),
    ).toEqual(["The name is required", 'Criterion 1: Unknown field "Colour"', "Criterion 3 closes a parenthesis that was never opened"]);
  });
});

describe("evaluateSmartGroups over a fleet (bitsets)", () => {
  const names = ["Lab-MacBook-01", "lab-imac-02", "Finance-MBP", "kiosk", "", "LAB-Studio"];
  const apps = [
    ["com.google.chrome", "google chrome"],
    ["org.mozilla.firefox", "firefox"],
    ["com.tinyspeck.slackmacgap", "slack"],
  ] as const;
  const computerArb = fc.record({
    name: fc.constantFrom(...names),
    serialNumber: fc.constantFrom(null, "C02XK1ABCDEF", "FVFX12", ""),
    model: fc.constantFrom(null, "MacBook Air", "iMac", "Mac mini"),
    osVersion: fc.constantFrom(null, "13.6.1", "14.5", "15.0", "15", "garbage"),
    architecture: fc.constantFrom(null, "arm64" as const, "x86_64" as const),
    lastCheckinAt: fc.constantFrom(null, 0, 2, 10, 40).map((d) => (d === null ? null : daysAgo(d))),
    lastInventoryAt: fc.constantFrom(null, 0, 2, 10, 40).map((d) => (d === null ? null : daysAgo(d))),
    apps: fc.subarray([0, 1, 2]),
  });
  const criterionArb = fc.oneof(
    fc.record({ field: fc.constantFrom("Computer Name", "Serial Number", "Model"), operator: fc.constantFrom("is", "is not", "like", "not like", "matches regex"), value: fc.constantFrom("lab", "LAB-STUDIO", "mac", "^f", "C02", "air") }),
    fc.record({ field: fc.constant("Operating System Version"), operator: fc.constantFrom(...SMART_GROUP_FIELDS["Operating System Version"]), value: fc.constantFrom("14", "14.5", "15.0") }),
    fc.record({ field: fc.constant("Architecture Type"), operator: fc.constantFrom("is", "is not"), value: fc.constantFrom("arm64", "Intel") }),
    fc.record({ field: fc.constant("Application Bundle ID"), operator: fc.constantFrom("has", "does not have"), value: fc.constantFrom("com.google.Chrome", "com.tinyspeck.slackmacgap") }),
    fc.record({ field: fc.constant("Application Title"), operator: fc.constantFrom("has", "does not have"), value: fc.constantFrom("Firefox.app", "Slack") }),
    fc.record({ field: fc.constantFrom("Last Check-in", "Last Inventory Update"), operator: fc.constantFrom("more than x days ago", "less than x days ago"), value: fc.constantFrom("1", "7", "30") }),
    fc.record({ field: fc.constant("Computer Group"), operator: fc.constantFrom("member of", "not member of"), value: fc.constantFrom("g1", "G2", "g3") }),
  );
  const groupArb = fc.array(fc.record({ criterion: criterionArb, or: fc.boolean(), paren: fc.boolean() }), { minLength: 0, maxLength: 4 }).map((parts) => {
    const criteria: Criterion[] = parts.map((p, i) => ({ ...p.criterion, joiner: i > 0 && p.or ? "or" : "and" }));
    if (criteria.length >= 2 && parts[0]!.paren) {
      criteria[0] = { ...criteria[0]!, openParen: true };
      criteria[1] = { ...criteria[1]!, closeParen: true };
    }
    return criteria;
  });

  it("gives every computer exactly the groups the one-computer evaluation gives it", () => {
    fc.assert(
      fc.property(fc.array(computerArb, { minLength: 0, maxLength: 70 }), fc.array(groupArb, { minLength: 1, maxLength: 5 }), (specs, criteriaLists) => {
        const computers = specs.map(({ apps: held, ...spec }, i): ComputerFacts => ({
          id: 1000 + i,
          ...spec,
          appBundleIds: new Set(held.map((a) => apps[a]![0])),
          appNames: new Set(held.map((a) => apps[a]![1])),
        }));
        // Groups may refer to each other (and form cycles): both evaluations must treat them alike.
        const compiled = compileSmartGroups(criteriaLists.map((criteria, i) => ({ id: i + 1, name: `g${i + 1}`, criteria })));
        const slots = evaluateSmartGroupBits(compiled, computers, NOW);
        const viaIndex = evaluateSmartGroupBits(compiled, computers, NOW, appIndexOf(computers));
        const viaSets = evaluateSmartGroups(compiled, computers, NOW);
        computers.forEach((computer, i) => {
          const alone = evaluateSmartGroupsForComputer(compiled, computer, NOW);
          const inFleet = new Set(compiled.groups.filter((g) => hasBit(slots[g.slot]!, i)).map((g) => g.id));
          expect(inFleet).toEqual(alone);
          expect(new Set(compiled.groups.filter((g) => hasBit(viaIndex[g.slot]!, i)).map((g) => g.id))).toEqual(alone);
          expect(new Set(compiled.groups.filter((g) => viaSets.get(g.id)?.has(computer.id)).map((g) => g.id))).toEqual(alone);
        });
      }),
      { numRuns: 300 },
    );
  });

  // Past 64 distinct values (names, serial numbers) a column is tested computer by computer, not value by value.
  it("agrees with the one-computer evaluation on columns of many distinct values", () => {
    const criterionArb = fc.record({
      field: fc.constantFrom("Computer Name", "Serial Number", "Model", "Operating System Version"),
      operator: fc.constantFrom("is", "is not", "like", "not like", "matches regex"),
      value: fc.constantFrom("lab-7", "LAB", "c02x7", "7$", "^f", "air", "1"),
    }).map((c) => (c.field === "Operating System Version" ? { ...c, operator: c.operator.startsWith("is") ? c.operator : "less than", value: "14.1" } : c));
    fc.assert(
      fc.property(fc.integer({ min: 65, max: 200 }), fc.array(criterionArb, { minLength: 1, maxLength: 3 }), fc.integer({ min: 0, max: 1000 }), (count, criteria, seed) => {
        const computers = Array.from({ length: count }, (_, i): ComputerFacts => ({
          id: i + 1,
          name: `${names[(i + seed) % names.length]}-${i}`,
          serialNumber: i % 9 === 0 ? null : `C02X${(i * 7919 + seed).toString(36).toUpperCase()}`,
          model: ["MacBook Air", "iMac", null][i % 3]!,
          osVersion: `${12 + (i % 4)}.${(i * 3) % 100}`, // up to 400 distinct versions
          architecture: i % 2 ? "arm64" : "x86_64",
          lastCheckinAt: null,
          lastInventoryAt: null,
          appBundleIds: new Set(),
          appNames: new Set(),
        }));
        const compiled = compileSmartGroups([{ id: 1, name: "g1", criteria }]);
        const bits = evaluateSmartGroupBits(compiled, computers, NOW)[compiled.groups[0]!.slot]!;
        computers.forEach((computer, i) => expect(hasBit(bits, i)).toBe(evaluateSmartGroupsForComputer(compiled, computer, NOW).has(1)));
      }),
      { numRuns: 200 },
    );
  });
});

/** An AppIndex made from the computers' own sets, as the loader makes one from the rows. */
function appIndexOf(computers: readonly ComputerFacts[]): AppIndex {
  const index = { appNames: new Map<string, number[]>(), appBundleIds: new Map<string, number[]>() };
  computers.forEach((c, i) => {
    for (const field of ["appNames", "appBundleIds"] as const) for (const value of c[field]) index[field].set(value, [...(index[field].get(value) ?? []), i]);
  });
  return index;
}

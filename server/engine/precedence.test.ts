import { describe, expect, it } from "vitest";

import { resolvePrecedence, type PrecedenceCandidate } from "./precedence";

const d = (id: number, patch: Partial<PrecedenceCandidate> = {}): PrecedenceCandidate => ({
  id,
  name: `Installer ${id}`,
  distributionMethod: "install_automatically",
  updateMethod: "automatic",
  targetVersion: "1.0",
  ...patch,
});

describe("resolvePrecedence (DESIGN §3.2)", () => {
  it.each([
    [
      "distribution method alone decides: Install automatically over Self Service",
      [d(1, { distributionMethod: "self_service", updateMethod: "manual", targetVersion: "9.0" }), d(2)],
      2,
      "distribution_method",
      'App Installer "Installer 2" (#2) takes precedence: Install automatically wins over Make available in Self Service',
    ],
    [
      "update method decides when distribution ties: Manual over Automatic",
      [d(1, { targetVersion: "9.0" }), d(2, { updateMethod: "manual", targetVersion: "1.0" })],
      2,
      "update_method",
      'App Installer "Installer 2" (#2) takes precedence: Manual update wins over Automatic',
    ],
    [
      "version decides when both tie: the newer target version (13.10 > 13.9)",
      [d(1, { targetVersion: "13.9" }), d(2, { targetVersion: "13.10" })],
      2,
      "version",
      'App Installer "Installer 2" (#2) takes precedence: it targets the newer version 13.10 (this one targets 13.9)',
    ],
    [
      "deployment id decides a full tie: the lower id",
      [d(3), d(2)],
      2,
      "deployment_id",
      'App Installer "Installer 2" (#2) takes precedence: the lower ID wins when everything else is equal',
    ],
  ] as const)("%s", (_name, candidates, winnerId, rule, reason) => {
    const result = resolvePrecedence(candidates);
    expect(result.winner.id).toBe(winnerId);
    expect(result.losers).toEqual([{ id: candidates.find((c) => c.id !== winnerId)!.id, winnerId, winnerName: `Installer ${winnerId}`, rule, reason }]);
  });

  it("the documented example: deployments 2 and 3 scope one computer, only 2 is used", () => {
    const { winner, losers } = resolvePrecedence([d(3), d(2)]);
    expect(winner.id).toBe(2);
    expect(losers.map((l) => l.id)).toEqual([3]);
  });

  it("applies the rules in order among many, naming the rule that beat each loser", () => {
    const { winner, losers } = resolvePrecedence([
      d(5, { distributionMethod: "self_service" }),
      d(4, { updateMethod: "automatic", targetVersion: "2.0" }),
      d(7, { updateMethod: "manual", targetVersion: "1.0" }),
      d(6, { updateMethod: "manual", targetVersion: "1.0" }),
    ]);
    expect(winner.id).toBe(6);
    expect(losers.map((l) => [l.id, l.rule])).toEqual([
      [4, "update_method"],
      [5, "distribution_method"],
      [7, "deployment_id"],
    ]);
  });

  it("a single deployment wins alone, and an empty list is a programming error", () => {
    expect(resolvePrecedence([d(9)])).toEqual({ winner: d(9), losers: [] });
    expect(() => resolvePrecedence([])).toThrow(RangeError);
  });
});

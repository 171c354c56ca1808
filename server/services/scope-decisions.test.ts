// decideScope against the rule written out per computer (DESIGN §3.2): every computer in an App Installer's
// group gets one decision; per title the winner of resolvePrecedence among the App Installers whose groups
// hold it; its losers Unqualified with the reason; compatibility of the winner's version for all of them.
import fc from "fast-check";
import { describe, expect, it } from "vitest";

import { checkCompatibility } from "@/server/engine/compatibility";
import { resolvePrecedence } from "@/server/engine/precedence";
import type { CatalogVersion, Deployment } from "@/db/schema";

import { newBitset, setBit } from "@/server/engine/bitset";

import { decideScope, forEachScopeDecision, forEachScopeGroupInFleet, targetVersionOf } from "./deployment-engine";

const AT = new Date("2026-03-02T09:00:00.000Z");

const version = (id: number, titleId: number, v: string, minimumOsVersion: string, architectures: ("arm64" | "x86_64")[]): CatalogVersion => ({
  id,
  titleId,
  version: v,
  shortVersion: v,
  minimumOsVersion,
  architectures,
  packageUrl: null,
  sizeBytes: 1,
  sha256: "00",
  chunkSizeBytes: 1,
  chunkSha256s: [],
  releasedAt: null,
  createdAt: AT,
  updatedAt: AT,
});

const VERSIONS = new Map<number, CatalogVersion[]>([
  [1, [version(1, 1, "1.0", "13.0", ["arm64", "x86_64"]), version(2, 1, "2.0", "14.0", ["arm64"])]],
  [2, [version(3, 2, "5.1", "12.0", ["arm64", "x86_64"])]],
]);

type DeploymentInfo = Parameters<typeof decideScope>[0][number];

const deploymentArb = fc.record({
  titleId: fc.constantFrom(1, 2),
  smartGroupId: fc.constantFrom(1, 2, 3),
  distributionMethod: fc.constantFrom("install_automatically" as const, "self_service" as const),
  updateMethod: fc.constantFrom("automatic" as const, "manual" as const),
  version: fc.constantFrom("1.0", "2.0", "5.1", "9.9"),
});
const deviceArb = fc.option(fc.record({ osVersion: fc.constantFrom(null, "12.7", "13.6", "14.5", "15.1"), architecture: fc.constantFrom(null, "arm64" as const, "x86_64" as const) }), { nil: undefined });

const info = (id: number, s: Pick<Deployment, "titleId" | "smartGroupId" | "distributionMethod" | "updateMethod" | "version">): DeploymentInfo => ({
  ...s,
  id,
  name: `D${id}`,
  installSupportingProfiles: false,
  enabled: true,
  selfServiceCategory: null,
  selfServiceDescription: null,
  createdAt: AT,
  updatedAt: AT,
  bundleId: `com.example.t${s.titleId}`,
  titleName: `T${s.titleId}`,
  publisher: "Example",
});

describe("decideScope", () => {
  it("decides each (App Installer, member) pair as precedence and compatibility, computer by computer", () => {
    fc.assert(
      fc.property(
        fc.array(deploymentArb, { minLength: 1, maxLength: 6 }),
        fc.array(fc.record({ device: deviceArb, groups: fc.subarray([1, 2, 3]) }), { minLength: 0, maxLength: 40 }),
        (specs, macs) => {
          const enabled = specs.map((s, i) => info(10 + i, s));
          const membership = new Map([1, 2, 3].map((g) => [g, new Set(macs.flatMap((m, i) => (m.groups.includes(g) ? [100 + i] : [])))]));
          const devices = new Map(macs.flatMap((m, i) => (m.device ? [[100 + i, m.device] as const] : [])));

          const got = decideScope(enabled, VERSIONS, membership, devices).map((d) => ({ deploymentId: d.deploymentId, computerId: d.computerId, version: d.version.id, scope: d.scope, compatibility: d.compatibility }));

          const expected: typeof got = [];
          macs.forEach((m, i) => {
            const computerId = 100 + i;
            for (const titleId of [1, 2]) {
              const candidates = enabled.flatMap((d) => {
                const v = targetVersionOf(d, VERSIONS.get(d.titleId) ?? []);
                return d.titleId === titleId && v && m.groups.includes(d.smartGroupId) ? [{ id: d.id, name: d.name, distributionMethod: d.distributionMethod, updateMethod: d.updateMethod, targetVersion: v.version, v }] : [];
              });
              if (candidates.length === 0) continue;
              const { winner, losers } = resolvePrecedence(candidates);
              const compatibility = m.device
                ? checkCompatibility({ version: { version: winner.v.version, minimumOsVersion: winner.v.minimumOsVersion, architectures: winner.v.architectures }, computer: m.device })
                : { kind: "unknown" as const, reason: "Waiting for device information (macOS version and architecture)" };
              expected.push({ deploymentId: winner.id, computerId, version: winner.v.id, scope: { kind: "winner" }, compatibility });
              for (const l of losers) expected.push({ deploymentId: l.id, computerId, version: candidates.find((c) => c.id === l.id)!.v.id, scope: { kind: "unqualified", reason: l.reason }, compatibility });
            }
          });
          const byPair = (a: { deploymentId: number; computerId: number }, b: { deploymentId: number; computerId: number }) => a.deploymentId - b.deploymentId || a.computerId - b.computerId;
          expect([...got].sort(byPair)).toEqual(expected.sort(byPair));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("decides for one computer alone as within its fleet, titles in the order of their first App Installer holding it", () => {
    fc.assert(
      fc.property(
        fc.array(deploymentArb, { minLength: 1, maxLength: 8 }),
        fc.array(fc.record({ device: deviceArb, groups: fc.subarray([1, 2, 3]) }), { minLength: 1, maxLength: 12 }),
        (specs, macs) => {
          const enabled = specs.map((s, i) => info(10 + i, s));
          const membership = new Map([1, 2, 3].map((g) => [g, new Set(macs.flatMap((m, i) => (m.groups.includes(g) ? [100 + i] : [])))]));
          const devices = new Map(macs.flatMap((m, i) => (m.device ? [[100 + i, m.device] as const] : [])));
          const key = (d: { deploymentId: number; computerId: number; version: { id: number }; scope: unknown; compatibility: unknown }) => JSON.stringify([d.deploymentId, d.computerId, d.version.id, d.scope, d.compatibility]);
          const fleet = decideScope(enabled, VERSIONS, membership, devices);
          macs.forEach((m, i) => {
            const id = 100 + i;
            // As a slice of one computer gets it: every group present, the others' members left out.
            const alone = new Map([1, 2, 3].map((g) => [g, new Set(m.groups.includes(g) ? [id] : [])]));
            const visits: string[] = [];
            forEachScopeDecision(enabled, VERSIONS, alone, devices, (deploymentId, computerId, version, scope, compatibility) => visits.push(key({ deploymentId, computerId, version, scope, compatibility })));
            expect([...visits].sort()).toEqual(fleet.filter((d) => d.computerId === id).map(key).sort());
            const titles = visits.map((v) => enabled.find((d) => d.id === (JSON.parse(v) as number[])[0])!.titleId);
            const expectedTitles = [...new Set(enabled.filter((d) => m.groups.includes(d.smartGroupId) && targetVersionOf(d, VERSIONS.get(d.titleId) ?? [])).map((d) => d.titleId))];
            expect([...new Set(titles)]).toEqual(expectedTitles);
            expect(titles).toEqual(titles.slice().sort((a, b) => expectedTitles.indexOf(a) - expectedTitles.indexOf(b))); // a title's visits together
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it("visits a winner's losers right after it, with the same positions (a visitor may reuse what it read for the winner)", () => {
    fc.assert(
      fc.property(
        fc.array(deploymentArb, { minLength: 1, maxLength: 8 }),
        fc.array(fc.record({ device: deviceArb, groups: fc.subarray([1, 2, 3]) }), { minLength: 1, maxLength: 40 }),
        (specs, macs) => {
          const enabled = specs.map((s, i) => info(10 + i, s));
          const groups = new Map([1, 2, 3].map((g) => [g, newBitset(macs.length)]));
          macs.forEach((m, i) => m.groups.forEach((g) => setBit(groups.get(g)!, i)));
          const visits: { winner: boolean; positions: Int32Array; copy: number[]; deploymentId: number }[] = [];
          forEachScopeGroupInFleet(enabled, VERSIONS, { size: macs.length, groups }, macs.map((m) => m.device), (deploymentId, _version, scope, _compatibility, positions) => {
            visits.push({ winner: scope.kind === "winner", positions, copy: [...positions], deploymentId });
          });
          expect(visits.length === 0 || visits[0]!.winner).toBe(true);
          visits.forEach((v, n) => {
            if (v.winner) return;
            const before = visits[n - 1]!;
            expect(v.positions).toBe(before.positions);
            expect(v.copy).toEqual(before.copy);
            const title = (id: number) => enabled.find((d) => d.id === id)!.titleId;
            expect(title(v.deploymentId)).toBe(title(before.deploymentId));
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it("decides for one computer among more than 30 App Installers of one title (masks no longer fit)", () => {
    // The first is in a group the computer is not in: a 32-bit mask would confuse it with the 33rd (1 << 32 is 1).
    const enabled = Array.from({ length: 33 }, (_, i) => info(10 + i, { titleId: 1, smartGroupId: i === 0 ? 2 : 1, distributionMethod: i === 20 ? "install_automatically" : "self_service", updateMethod: "automatic", version: "2.0" }));
    const membership = new Map([
      [1, new Set([100])],
      [2, new Set<number>()],
    ]);
    const decisions = decideScope(enabled, VERSIONS, membership, new Map([[100, { osVersion: "14.5", architecture: "arm64" as const }]]));
    expect(decisions.map((d) => d.deploymentId).sort((a, b) => a - b)).toEqual(enabled.slice(1).map((d) => d.id));
    expect(decisions.filter((d) => d.scope.kind === "winner").map((d) => d.deploymentId)).toEqual([30]);
    expect(decisions.every((d) => d.compatibility.kind === "compatible")).toBe(true);
  });

  it("decides the same when a visitor decides scope again inside a visit (work arrays are not shared then)", () => {
    const enabled = [1, 2].map((titleId, i) => info(10 + i, { titleId, smartGroupId: 1, distributionMethod: "install_automatically", updateMethod: "automatic", version: null }));
    const ids = Array.from({ length: 70 }, (_, i) => 100 + i);
    const membership = new Map([[1, new Set(ids)]]);
    const devices = new Map(ids.map((id) => [id, { osVersion: id % 3 === 0 ? "12.7" : "14.5", architecture: id % 2 === 0 ? ("arm64" as const) : ("x86_64" as const) }]));
    const alone = decideScope(enabled, VERSIONS, membership, devices).map((d) => `${d.deploymentId}:${d.computerId}:${d.compatibility.kind}`);
    const outer: string[] = [];
    const inner: string[][] = [];
    forEachScopeDecision(enabled, VERSIONS, membership, devices, (deploymentId, computerId, _version, _scope, compatibility) => {
      outer.push(`${deploymentId}:${computerId}:${compatibility.kind}`);
      if (inner.length < 3) inner.push(decideScope(enabled, VERSIONS, membership, devices).map((d) => `${d.deploymentId}:${d.computerId}:${d.compatibility.kind}`));
    });
    expect(outer).toEqual(alone);
    for (const nested of inner) expect(nested).toEqual(alone);
  });
});

// Conflicts between deployments of one title on one computer (DESIGN §3.2): one wins, the others are
// Unqualified with the winner named and the rule that decided. Each rule decides only where those before tie.
import { compareVersions } from "./versions";

export type PrecedenceCandidate = {
  id: number;
  name: string;
  distributionMethod: "install_automatically" | "self_service";
  updateMethod: "automatic" | "manual";
  targetVersion: string;
};

export type PrecedenceRule = "distribution_method" | "update_method" | "version" | "deployment_id";

export type PrecedenceLoss = { id: number; winnerId: number; winnerName: string; rule: PrecedenceRule; reason: string };
export type PrecedenceResult<T extends PrecedenceCandidate> = { winner: T; losers: PrecedenceLoss[] };

const RULES: { rule: PrecedenceRule; compare: (a: PrecedenceCandidate, b: PrecedenceCandidate) => number }[] = [
  { rule: "distribution_method", compare: (a, b) => rank(a.distributionMethod === "install_automatically") - rank(b.distributionMethod === "install_automatically") },
  { rule: "update_method", compare: (a, b) => rank(a.updateMethod === "manual") - rank(b.updateMethod === "manual") },
  { rule: "version", compare: (a, b) => compareVersions(b.targetVersion, a.targetVersion) },
  { rule: "deployment_id", compare: (a, b) => a.id - b.id },
];
const rank = (preferred: boolean) => (preferred ? 0 : 1);

/** Negative when `a` takes precedence over `b`, with the rule that decided. */
export function comparePrecedence(a: PrecedenceCandidate, b: PrecedenceCandidate): { order: number; rule: PrecedenceRule } {
  for (const { rule, compare } of RULES) {
    const order = compare(a, b);
    if (order !== 0) return { order, rule };
  }
  return { order: 0, rule: "deployment_id" };
}

/** Why `winner` beat `loser`, in the words shown beside "Unqualified". */
export function describeLoss(winner: PrecedenceCandidate, loser: PrecedenceCandidate, rule: PrecedenceRule): string {
  const by = `App Installer "${winner.name}" (#${winner.id}) takes precedence`;
  switch (rule) {
    case "distribution_method":
      return `${by}: Install automatically wins over Make available in Self Service`;
    case "update_method":
      return `${by}: Manual update wins over Automatic`;
    case "version":
      return `${by}: it targets the newer version ${winner.targetVersion} (this one targets ${loser.targetVersion})`;
    case "deployment_id":
      return `${by}: the lower ID wins when everything else is equal`;
  }
}

/** The winner among the enabled deployments of one title scoping one computer (non-empty list). */
export function resolvePrecedence<T extends PrecedenceCandidate>(candidates: readonly T[]): PrecedenceResult<T> {
  const first = candidates[0];
  if (!first) throw new RangeError("resolvePrecedence needs at least one candidate");
  if (candidates.length === 1) return { winner: first, losers: [] }; // most computers: one per title
  let winner = first;
  for (const c of candidates.slice(1)) if (comparePrecedence(c, winner).order < 0) winner = c;
  const losers = candidates
    .filter((c) => c !== winner)
    .sort((a, b) => a.id - b.id)
    .map((loser) => {
      const { rule } = comparePrecedence(winner, loser);
      return { id: loser.id, winnerId: winner.id, winnerName: winner.name, rule, reason: describeLoss(winner, loser, rule) };
    });
  return { winner, losers };
}

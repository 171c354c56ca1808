import fc from "fast-check";
import { describe, expect, it } from "vitest";

import { andInto, complement, countBits, forEachBit, fullBitset, hasBit, newBitset, orInto, setBit } from "./bitset";

const members = (b: Uint32Array) => {
  const out: number[] = [];
  forEachBit(b, (i) => out.push(i));
  return out;
};
const fromList = (size: number, list: number[]) => {
  const b = newBitset(size);
  for (const i of list) setBit(b, i);
  return b;
};

describe("bitset", () => {
  it("keeps positions past the size clear in full sets and complements (sizes around word edges)", () => {
    for (const size of [0, 1, 31, 32, 33, 63, 64, 65, 100]) {
      expect(members(fullBitset(size))).toEqual(Array.from({ length: size }, (_, i) => i));
      expect(countBits(complement(newBitset(size), size))).toBe(size);
    }
  });

  it("and, or, not, membership and counts agree with plain sets", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }).chain((size) => fc.tuple(fc.constant(size), fc.uniqueArray(fc.nat(Math.max(0, size - 1)), { maxLength: size }), fc.uniqueArray(fc.nat(Math.max(0, size - 1)), { maxLength: size }))), ([size, xs, ys]) => {
        const a = fromList(size, size === 0 ? [] : xs);
        const b = fromList(size, size === 0 ? [] : ys);
        const setA = new Set(size === 0 ? [] : xs);
        const setB = new Set(size === 0 ? [] : ys);
        const all = Array.from({ length: size }, (_, i) => i);
        const and = a.slice();
        andInto(and, b);
        const or = a.slice();
        orInto(or, b);
        expect(members(and)).toEqual(all.filter((i) => setA.has(i) && setB.has(i)));
        expect(members(or)).toEqual(all.filter((i) => setA.has(i) || setB.has(i)));
        expect(members(complement(a, size))).toEqual(all.filter((i) => !setA.has(i)));
        expect(all.filter((i) => hasBit(a, i))).toEqual(all.filter((i) => setA.has(i)));
        expect(countBits(a)).toBe(setA.size);
      }),
      { numRuns: 300 },
    );
  });
});

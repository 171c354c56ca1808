// Sets of computers as bits, one per position in a fleet array: a smart group of 100,000 Macs is 12.5 KB,
// and "and", "or" and "not" of two groups are 3,125 word operations instead of 100,000 Set lookups.

/** Bit i is computer i of the array the set was made for; bits past its length are always 0. */
export type Bitset = Uint32Array;

export const newBitset = (size: number): Bitset => new Uint32Array((size + 31) >>> 5);

/** Every position below `size`. */
export function fullBitset(size: number): Bitset {
  const b = newBitset(size);
  b.fill(0xffffffff);
  clearTail(b, size);
  return b;
}

/** Positions past `size` in the last word back to 0 (after a complement). */
function clearTail(b: Bitset, size: number) {
  const rest = size & 31;
  if (rest !== 0 && b.length > 0) b[b.length - 1]! &= (1 << rest) - 1;
}

export function setBit(b: Bitset, i: number) {
  b[i >>> 5]! |= 1 << (i & 31);
}

export const hasBit = (b: Bitset, i: number): boolean => (b[i >>> 5]! & (1 << (i & 31))) !== 0;

/** a ∧= b */
export function andInto(a: Bitset, b: Bitset) {
  for (let w = 0; w < a.length; w++) a[w]! &= b[w]!;
}

/** a ∨= b */
export function orInto(a: Bitset, b: Bitset) {
  for (let w = 0; w < a.length; w++) a[w]! |= b[w]!;
}

/** The complement within `size` positions, as a new set. */
export function complement(b: Bitset, size: number): Bitset {
  const out = newBitset(size);
  for (let w = 0; w < b.length; w++) out[w] = ~b[w]!;
  clearTail(out, size);
  return out;
}

/** Calls `visit` with every position in `b`, in increasing order. */
export function forEachBit(b: Bitset, visit: (i: number) => void) {
  for (let w = 0; w < b.length; w++) {
    let word = b[w]!;
    while (word !== 0) {
      const low = word & -word;
      visit((w << 5) + 31 - Math.clz32(low));
      word ^= low;
    }
  }
}

export function isEmpty(b: Bitset): boolean {
  for (let w = 0; w < b.length; w++) if (b[w] !== 0) return false;
  return true;
}

export function countBits(b: Bitset): number {
  let n = 0;
  for (let w = 0; w < b.length; w++) {
    let v = b[w]!;
    v -= (v >>> 1) & 0x55555555;
    v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
    n += (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
  }
  return n;
}

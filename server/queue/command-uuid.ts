// CommandUUIDs are UUIDv7 (RFC 9562 §5.7): 48 bits of Unix milliseconds, then 74 other bits. Apple's
// protocol takes any unique string; what the layout buys is where a new command lands in the unique index
// on commands.uuid. Random v4 UUIDs land on a random leaf page each, so a fan-out slice of a few hundred
// commands rewrote a few hundred index pages into the WAL at its commit; time-ordered ones land at the
// index's right edge. Measured on the 100k benchmark snapshot: 100,000 inserts in transactions of 100,
// 2.36 s (v4) → 1.46 s (v7).
//
// Within one millisecond they are ordered too (RFC 9562 §6.2, method 1: a counter seeded at random each
// millisecond): an engine pass queues every command of the pass at the same `now`, so with 74 random bits
// after the instant a 100k fan-out's commands landed at random among each other, and every slice of 500
// rewrote hundreds of the index's leaves again (29 of a transaction's 33–60 WAL frames per 100 inserts, and
// rising, went to that index). The counter is 26 bits (the 12 of rand_a, 14 of rand_b), seeded below 2^25
// so a millisecond can take 2^25 more; 48 random bits follow, which keep a UUID unguessable, though a
// report only ever counts for a command sent to the Mac that signed it (queue.ts).
import { randomFillSync } from "node:crypto";

const POOL = 4096;
const pool = Buffer.alloc(POOL);
let offset = POOL;

function random(n: number): Buffer {
  if (offset + n > POOL) {
    randomFillSync(pool);
    offset = 0;
  }
  const bytes = pool.subarray(offset, offset + n);
  offset += n;
  return bytes;
}

const COUNTER_BITS = 26;
const COUNTER_MAX = 2 ** COUNTER_BITS - 1;
/** A counter's start: below 2^25, so a millisecond has room for 2^25 more. */
const seedCounter = () => random(4).readUInt32BE(0) >>> (32 - COUNTER_BITS + 1);
/** The last UUID's millisecond and counter: the next one in the same millisecond continues from them. */
let lastMs = -1;
let counter = 0;

/** A new CommandUUID for a command queued at `now` (the injected clock's instant), upper-case like Apple's examples. */
export function newCommandUuid(now: Date): string {
  const ms = Math.max(0, Math.min(now.getTime(), 2 ** 48 - 1));
  // A new millisecond (or a simulated clock set back, in tests) starts a new counter; 2^25 in one
  // millisecond would be needed to overflow it, and then it starts again (unique still, by the random bits).
  counter = ms === lastMs && counter < COUNTER_MAX ? counter + 1 : seedCounter();
  lastMs = ms;
  const b = Buffer.allocUnsafe(16);
  b.writeUIntBE(ms, 0, 6);
  // rand_a (12 bits): the counter's high 12; rand_b (62 bits): its low 14, then 48 random bits.
  b[6] = 0x70 | (counter >>> 22); // version 7
  b[7] = (counter >>> 14) & 0xff;
  b[8] = 0x80 | ((counter >>> 8) & 0x3f); // variant 10
  b[9] = counter & 0xff;
  random(6).copy(b, 10);
  const h = b.toString("hex").toUpperCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

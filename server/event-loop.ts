// Yielding to requests from long work done in slices (engine passes, fleet-wide pushes).
//
// libuv accepts one new connection per event-loop turn (libuv/libuv#3696, in Node since 20): a burst of new
// connections — Macs woken together, each opening its session — waits in the kernel's accept queue for one
// turn each. While a pass runs in 12 ms slices between turns of HTTP work, a turn takes 25–60 ms, and in
// G3 of `npm run bench` the 40th of 40 Idle polls that arrived together was answered after 2.6 s. So a
// slice yields until a turn accepts nothing new: each extra turn accepts one more connection, and costs
// almost nothing when no connection is waiting.

let accepted = 0;

/** Counts an accepted connection: the HTTP server's "connection" listener (scripts/serve.ts). */
export function noteConnection(): void {
  accepted++;
}

/**
 * One turn that includes a poll phase, whatever phase the caller runs in: a timer (the timers phase), then
 * an immediate (the check phase of that same turn, which comes after its poll phase). A timer alone, set
 * from the poll or check phase, can fire in the next timers phase before any poll.
 */
async function turn() {
  await new Promise((resolve) => setTimeout(resolve, 0));
  await new Promise((resolve) => setImmediate(resolve));
}

/** Lets the event loop turn at least once, and again while each turn accepts a connection (up to `maxTurns`). */
export async function yieldToRequests(maxTurns = 256): Promise<void> {
  for (let i = 0; i < maxTurns; i++) {
    const before = accepted;
    await turn();
    if (accepted === before) return;
  }
}

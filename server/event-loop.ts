// Yielding to requests from long work done in slices (engine passes, fleet-wide pushes).
//
// libuv accepts one new connection per event-loop turn (libuv/libuv#3696, in Node since 20): a burst of new
// connections — Macs woken together, each opening its session — waits in the kernel's accept queue for one
// turn each. While a pass runs in 12 ms slices between turns of HTTP work, a turn takes 25–60 ms, and in
// G3 of `npm run bench` the 40th of 40 Idle polls that arrived together was answered after 2.6 s. So a
// slice yields until a turn accepts nothing new: each extra turn accepts one more connection, and costs
// almost nothing when no connection is waiting.
//
// Requests yield to a burst of connections too (acceptsSettled). With 64 Macs connecting together to a busy
// server, each turn accepted one of them and also ran the requests already read on the others, ~20 ms of
// work: the 64th Mac's first request waited 1.1–1.4 s for its connection to be accepted (G3, measured with
// per-socket timestamps: accepts 20 ms apart, then each answered within 40 ms). While a burst is being
// accepted, a request read meanwhile waits for it to end, so those turns are short and the burst is in
// within a few milliseconds; the requests then run in arrival order, as they would have.

let accepted = 0;
let settling: Promise<void> | undefined;

/** Counts an accepted connection: the HTTP server's "connection" listener (scripts/serve.ts). */
export function noteConnection(): void {
  accepted++;
  settling ??= settle();
}

async function settle() {
  try {
    await yieldToRequests(MAX_BURST_TURNS);
  } finally {
    settling = undefined;
  }
}

/**
 * Undefined when no burst of connections is being accepted (the usual case: nothing to await), else a
 * promise that resolves once a turn accepts no new connection. Request handlers await it before their work.
 */
export function acceptsSettled(): Promise<void> | undefined {
  return settling;
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

/** How long a burst may hold requests back: a steady stream of new connections must not starve them. */
const MAX_BURST_TURNS = 256;

/** Lets the event loop turn at least once, and again while each turn accepts a connection (up to `maxTurns`). */
export async function yieldToRequests(maxTurns = MAX_BURST_TURNS): Promise<void> {
  for (let i = 0; i < maxTurns; i++) {
    const before = accepted;
    await turn();
    if (accepted === before) return;
  }
}

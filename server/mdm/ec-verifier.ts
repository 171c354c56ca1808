// ECDSA signature checks for PUT /mdm on a thread of their own (ec-verifier.worker.mjs): the signer's key is
// built there from its point, then the signature verified, so that PUT /mdm's event loop spends on a check a
// share of one message per event-loop turn instead of the key's build (~0.065 ms, 13 % of the event loop in
// G1's profile) and a trip to libuv's thread pool. The keys also live and die in that thread's heap: none is
// freed by the event loop's collections. Checks are batched per event-loop turn (setImmediate) into one
// transferred buffer, and answered in the order sent. Should the thread fail, the checks it held and every
// later one run here (the key built on this thread, the signature on libuv's pool) until a new thread starts.
import { verify } from "node:crypto";
import { Worker } from "node:worker_threads";

import { CURVE_CODES, DIGEST_CODES, ecPublicKey, INVALID, UNREADABLE_KEY, VALID } from "./ec-verifier.worker.mjs";

/** One ECDSA check: the digest and curve by name, the signer's uncompressed point, the signed bytes, the signature. */
export type EcCheck = { digest: string; crv: string; point: Buffer; data: Buffer; signature: Buffer };
export type EcOutcome = "valid" | "invalid" | "unreadable-key";

const OUTCOMES: Record<number, EcOutcome> = { [VALID]: "valid", [INVALID]: "invalid", [UNREADABLE_KEY]: "unreadable-key" };
const digestCode = new Map(DIGEST_CODES.map((name, code) => [name, code]));
const curveCode = new Map(CURVE_CODES.map((c, code) => [c.crv, code]));

/** A record gives the signed data's and the signature's lengths in 16 bits. */
const MAX_FIELD = 0xffff;

/**
 * Whether the verifier's thread can take this check: a digest and a curve it knows, a point of the curve's
 * size, and fields a record can hold (Mdm-Signature's 64 KiB bound keeps them under it; a check that is not
 * is run on the calling thread rather than fail in pack(), outside any request).
 */
export function isWorkerCheck(check: EcCheck): boolean {
  const curve = curveCode.get(check.crv);
  return (
    digestCode.has(check.digest) &&
    curve !== undefined &&
    check.point.length === 1 + 2 * CURVE_CODES[curve]!.size &&
    check.point[0] === 4 &&
    check.data.length <= MAX_FIELD &&
    check.signature.length <= MAX_FIELD
  );
}

type Batch = { checks: EcCheck[]; answers: ((outcome: EcOutcome) => void)[] };

/**
 * A verifier thread and the batches sent to it and not answered, in order. Each thread has its own: a late
 * answer from a thread already given up on must not be taken for the answer to another thread's batch.
 */
type Thread = { worker: Worker; sent: Batch[] };
/** Per process: the verifier thread, the batch being filled in this turn, and counts. */
type Verifier = { thread?: Thread; filling?: Batch; started: number; failures: number; checksSent: number; checksHere: number };
const state = globalThis as unknown as { __pomonaEcVerifier?: Verifier };
const verifier = (state.__pomonaEcVerifier ??= { started: 0, failures: 0, checksSent: 0, checksHere: 0 });

/** Checks an ECDSA signature on the verifier's thread. Never rejects. */
export function checkEcSignature(check: EcCheck): Promise<EcOutcome> {
  return new Promise((resolve) => {
    let batch = verifier.filling;
    if (!batch) {
      batch = verifier.filling = { checks: [], answers: [] };
      setImmediate(send);
    }
    batch.checks.push(check);
    batch.answers.push(resolve);
  });
}

function send() {
  const batch = verifier.filling;
  verifier.filling = undefined;
  if (!batch) return;
  const thread = verifierThread();
  if (!thread) return answerHere(batch);
  const packed = pack(batch.checks);
  thread.sent.push(batch);
  verifier.checksSent += batch.checks.length;
  thread.worker.ref(); // checks in hand keep the process alive, as a trip to libuv's pool does
  thread.worker.postMessage(packed, [packed.buffer]);
}

function verifierThread(): Thread | undefined {
  if (verifier.thread) return verifier.thread;
  let worker: Worker;
  try {
    // Plain JavaScript, so without the process's loaders (tsx). Its isolate takes the process's V8 flags,
    // the 32 MB semi-space of package.json included: the thread costs ~60 MB of RSS (~25 MB without them).
    worker = new Worker(new URL("./ec-verifier.worker.mjs", import.meta.url), { workerData: "pomona-ec-verifier", execArgv: [] });
  } catch {
    return undefined;
  }
  verifier.started++;
  const thread: Thread = { worker, sent: [] };
  worker.on("message", (outcomes: Uint8Array) => {
    const batch = thread.sent.shift();
    if (thread.sent.length === 0) worker.unref();
    if (!batch) return;
    if (outcomes.length !== batch.answers.length) return answerHere(batch); // not this batch's answer: never guess
    for (let i = 0; i < batch.answers.length; i++) batch.answers[i]!(OUTCOMES[outcomes[i]!] ?? "invalid");
  });
  const failed = () => {
    if (verifier.thread !== thread) return;
    verifier.thread = undefined;
    verifier.failures++;
    for (const batch of thread.sent.splice(0)) answerHere(batch);
  };
  worker.on("error", failed);
  worker.on("exit", failed);
  worker.unref(); // idle, it does not hold the process open (after the listeners, which would)
  verifier.thread = thread;
  return thread;
}

/** A batch as the thread reads it (checkBatch in ec-verifier.worker.mjs). */
function pack(checks: EcCheck[]): Uint8Array<ArrayBuffer> {
  let size = 4;
  for (const c of checks) size += 2 + c.point.length + 2 + c.data.length + 2 + c.signature.length;
  // Its own ArrayBuffer (not the pool's), transferred to the thread, not copied.
  const out = Buffer.from(new ArrayBuffer(size));
  out.writeUInt32LE(checks.length, 0);
  let at = 4;
  for (const c of checks) {
    out[at] = digestCode.get(c.digest)!;
    out[at + 1] = curveCode.get(c.crv)!;
    at += 2 + c.point.copy(out, at + 2);
    out.writeUInt16LE(c.data.length, at);
    at += 2 + c.data.copy(out, at + 2);
    out.writeUInt16LE(c.signature.length, at);
    at += 2 + c.signature.copy(out, at + 2);
  }
  return out;
}

/** The same checks without the thread: each key built here, each signature verified on libuv's thread pool. */
function answerHere(batch: Batch) {
  verifier.checksHere += batch.checks.length;
  batch.checks.forEach((c, i) => {
    const answer = batch.answers[i]!;
    let key;
    try {
      key = ecPublicKey(c.crv, c.point);
    } catch {
      return answer("unreadable-key");
    }
    try {
      verify(c.digest, c.data, key, c.signature, (error, valid) => answer(!error && valid ? "valid" : "invalid"));
    } catch {
      answer("invalid");
    }
  });
}

/** Verifier threads started and failed, and checks sent to one or answered here (tests). */
export function ecVerifierStats() {
  return { started: verifier.started, failures: verifier.failures, running: verifier.thread !== undefined, checksSent: verifier.checksSent, checksHere: verifier.checksHere };
}

/** Ends the verifier's thread, as a crash would (tests): the checks it holds are answered here, the next start a new one. */
export async function stopEcVerifierForTests() {
  await verifier.thread?.worker.terminate();
}

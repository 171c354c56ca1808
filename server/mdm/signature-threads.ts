// Mdm-Signature checks on worker threads (issue #8). Checking a signature from a Mac not seen lately costs the
// event loop ~0.3 ms even with both signature checks on libuv's pool: building the signer's P-256 key
// (~0.1–0.15 ms, OpenSSL sets up the curve for each key), reading the CMS, and dispatching two crypto jobs
// (~0.07 ms). At 100,000 Macs in random order that was a third of PUT /mdm's event-loop time in G1.
// Here the whole check (verifyMdmSignatureSync, the same function the tests and the fuzz suite run) runs on
// a worker thread, with its certificate cache; the event loop only posts the body and the header.
// scripts/serve.ts and the bench's server use it; tests and the Next.js bundle use verifyMdmSignature
// in-process (deps.signatures unset), and this file's own test holds both to the same answers.
import { Worker } from "node:worker_threads";

import type { Logger } from "@/server/log";

import type { MdmSignatureResult, SignatureVerifier } from "./device-auth";

/** What the event loop posts to a thread: the body is a copy of its own, transferred. */
export type SignatureJob = { id: number; body: Uint8Array; header: string | undefined; caPem: string; nowMs: number };
export type SignatureReply = { id: number; result: MdmSignatureResult } | { id: number; error: string };

type Pending = { resolve: (r: MdmSignatureResult) => void; reject: (e: Error) => void };
type Thread = { worker: Worker; pending: Map<number, Pending>; dead: boolean };

/** The thread entry: a plain module that loads the TypeScript one through tsx, whatever runs the parent. */
const BOOT = new URL("./signature-thread-boot.mjs", import.meta.url);
/** What a thread runs, relative to BOOT (a test gives another). */
const THREAD_MODULE = "./signature-thread.ts";

/**
 * `threads` worker threads, started on first use and round-robined. A thread that fails rejects what it
 * holds (the request is answered 500 and the Mac retries) and is replaced on the next check.
 */
export function createSignatureThreads(options: { threads: number; log: Logger; module?: string }): SignatureVerifier {
  const count = Math.max(1, Math.floor(options.threads));
  const threads: (Thread | undefined)[] = new Array<Thread | undefined>(count);
  let nextId = 1;
  let turn = 0;
  let closed = false;

  const spawn = (): Thread => {
    const worker = new Worker(BOOT, { workerData: { module: options.module ?? THREAD_MODULE } });
    worker.unref(); // the HTTP server is what keeps a server alive, never a thread waiting for work
    const thread: Thread = { worker, pending: new Map(), dead: false };
    const fail = (error: Error) => {
      thread.dead = true;
      for (const p of thread.pending.values()) p.reject(error);
      thread.pending.clear();
    };
    worker.on("message", (reply: SignatureReply) => {
      const p = thread.pending.get(reply.id);
      if (!p) return;
      thread.pending.delete(reply.id);
      if ("error" in reply) p.reject(new Error(`signature thread: ${reply.error}`));
      else p.resolve(reply.result.ok ? Object.assign(reply.result, { certificateDer: asBuffer(reply.result.certificateDer) }) : reply.result);
    });
    worker.on("error", (error) => {
      options.log.error("signature thread failed", { error });
      fail(error);
    });
    worker.on("exit", (code) => {
      if (!closed) options.log.error("signature thread exited", { code });
      fail(new Error(`signature thread exited (${code})`));
    });
    return thread;
  };

  return {
    verify(body, signatureHeader, caCertificatePem, now) {
      if (closed) return Promise.reject(new Error("signature threads are closed"));
      const slot = turn++ % count;
      let thread = threads[slot];
      if (!thread || thread.dead) threads[slot] = thread = spawn();
      const id = nextId++;
      const copy = new Uint8Array(body); // exactly the body's bytes (a Buffer may be a view on a larger pool)
      const job: SignatureJob = { id, body: copy, header: signatureHeader, caPem: caCertificatePem, nowMs: now.getTime() };
      const live = thread;
      return new Promise<MdmSignatureResult>((resolve, reject) => {
        live.pending.set(id, { resolve, reject });
        live.worker.postMessage(job, [copy.buffer]);
      });
    },
    async close() {
      closed = true;
      await Promise.all(threads.flatMap((t) => (t ? [t.worker.terminate()] : [])));
    },
  };
}

const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

// The work of a signature thread (server/mdm/signature-threads.ts): each job is checked with
// verifyMdmSignatureSync and answered; this thread keeps its own certificate cache.
import { parentPort } from "node:worker_threads";

import { verifyMdmSignatureSync } from "./device-auth";
import type { SignatureJob, SignatureReply } from "./signature-threads";

const port = parentPort;
if (!port) throw new Error("server/mdm/signature-thread.ts runs as a worker thread");

port.on("message", (job: SignatureJob) => {
  let reply: SignatureReply;
  const transfer: ArrayBuffer[] = [];
  try {
    const body = Buffer.from(job.body.buffer, job.body.byteOffset, job.body.byteLength);
    const result = verifyMdmSignatureSync(body, job.header, job.caPem, new Date(job.nowMs));
    if (result.ok) {
      const der = new Uint8Array(result.certificateDer); // its own buffer, handed over whole
      transfer.push(der.buffer);
      reply = { id: job.id, result: { ok: true, certificateDer: Buffer.from(der.buffer), certificateSha256: result.certificateSha256 } };
    } else reply = { id: job.id, result };
  } catch (e) {
    reply = { id: job.id, error: e instanceof Error ? e.message : String(e) };
  }
  port.postMessage(reply, transfer);
});

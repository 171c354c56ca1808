// Where a G1 request's time goes, measured in-process on a copy of the snapshot (no HTTP, no load
// generator): Pomona's signature check, its decoder, and the whole PUT /mdm handler with and without the
// signature check (POMONA_DEVICE_AUTH=none is what the server offers for local experiments only). One call
// at a time: the event loop's busy time per call is what bounds a server's throughput (the signature checks
// run off the event loop, on another core: the Mac's own on every request, its key built there too, on the
// verifier's thread (ec-verifier.ts); the CA's on libuv's pool, only for a certificate no computer holds as
// its bound identity (every snapshot Mac's is bound); `verify` takes each Mac's first request, as the
// endpoint makes it, and `handler` the same Macs again, each Mac's certificate read again, since only the
// last 128 are kept, as for ~90 % of G1's requests); the process's CPU time per call includes the other
// threads' work, and the wall time per call includes the hops there and back.
import { performance } from "node:perf_hooks";

import type { Deps } from "@/server/deps";
import { verifyMdmSignature } from "@/server/mdm/device-auth";
import { handleMdmRequest } from "@/server/mdm/endpoint";
import { decodeReport } from "@/server/mdm/messages";
import { isBoundIdentity } from "@/server/services/devices";
import { ensureDeviceCa } from "@/server/services/pki";

import { REPORT_CONTENT_TYPE, type Fleet } from "./fleet";

/** Per call: the event loop's busy time (ms), the whole process's CPU time (ms) and the wall time (ms). */
export type CallCost = { busyMs: number; cpuMs: number; wallMs: number };
export type RequestCosts = { verify: CallCost; decodeUs: number; handler: CallCost; handlerNoAuth: CallCost; samples: number };

async function perCall(n: number, fn: (i: number) => unknown): Promise<CallCost> {
  for (let i = 0; i < Math.min(20, n); i++) await fn(i);
  const loop = performance.eventLoopUtilization();
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn(i);
  const wallMs = (performance.now() - t0) / n;
  const used = process.cpuUsage(cpu);
  return { busyMs: performance.eventLoopUtilization(loop).active / n, cpuMs: (used.user + used.system) / 1000 / n, wallMs };
}

/** Idle requests from distinct Macs (each answered with an empty 200 or the Mac's queued command). */
export async function measureRequestCosts(deps: Deps, fleet: Fleet, samples: number): Promise<RequestCosts> {
  const ca = ensureDeviceCa(deps).certificatePem;
  const now = deps.clock.now();
  const macs = fleet.macs;
  const mac = (i: number) => macs[i % macs.length]!;
  const verify = await perCall(samples, async (i) => {
    const r = await verifyMdmSignature(mac(i).idle.body, mac(i).idle.signature, ca, now, (sha256) => isBoundIdentity(deps, sha256));
    if (!r.ok) throw new Error(r.reason);
  });
  const text = mac(0).idle.body.toString("utf8");
  const decodeUs = (await perCall(samples * 10, () => decodeReport(text))).busyMs * 1000;
  const handle = (d: Deps, i: number) =>
    handleMdmRequest(d, { method: "PUT", contentType: REPORT_CONTENT_TYPE, body: mac(i).idle.body, signature: mac(i).idle.signature }).then((r) => {
      if (r.status !== 200) throw new Error(`PUT /mdm answered ${r.status}`);
    });
  const handler = await perCall(samples, (i) => handle(deps, i));
  const noAuth: Deps = { ...deps, env: { ...deps.env, POMONA_DEVICE_AUTH: "none" } };
  const handlerNoAuth = await perCall(samples * 5, (i) => handle(noAuth, samples + i));
  return { verify, decodeUs, handler, handlerNoAuth, samples };
}

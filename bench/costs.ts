// Where a G1 request's time goes, measured in-process on a copy of the snapshot (no HTTP, no load
// generator): Pomona's signature check, its decoder, and the whole PUT /mdm handler with and without the
// signature check (POMONA_DEVICE_AUTH=none is what the server offers for local experiments only).
import { performance } from "node:perf_hooks";

import type { Deps } from "@/server/deps";
import { verifyMdmSignature } from "@/server/mdm/device-auth";
import { handleMdmRequest } from "@/server/mdm/endpoint";
import { decodeReport } from "@/server/mdm/messages";
import { ensureDeviceCa } from "@/server/services/pki";

import { REPORT_CONTENT_TYPE, type Fleet } from "./fleet";

export type RequestCosts = { verifyMs: number; decodeUs: number; handlerMs: number; handlerNoAuthMs: number; samples: number };

async function perCall(n: number, fn: (i: number) => unknown): Promise<number> {
  for (let i = 0; i < Math.min(20, n); i++) await fn(i);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn(i);
  return (performance.now() - t0) / n;
}

/** Idle requests from distinct Macs (each answered with an empty 200 or the Mac's queued command). */
export async function measureRequestCosts(deps: Deps, fleet: Fleet, samples: number): Promise<RequestCosts> {
  const ca = ensureDeviceCa(deps).certificatePem;
  const now = deps.clock.now();
  const macs = fleet.macs;
  const mac = (i: number) => macs[i % macs.length]!;
  const verifyMs = await perCall(samples, async (i) => {
    const r = await verifyMdmSignature(mac(i).idle.body, mac(i).idle.signature, ca, now);
    if (!r.ok) throw new Error(r.reason);
  });
  const text = mac(0).idle.body.toString("utf8");
  const decodeUs = (await perCall(samples * 10, () => decodeReport(text))) * 1000;
  const handle = (d: Deps, i: number) =>
    handleMdmRequest(d, { method: "PUT", contentType: REPORT_CONTENT_TYPE, body: mac(i).idle.body, signature: mac(i).idle.signature }).then((r) => {
      if (r.status !== 200) throw new Error(`PUT /mdm answered ${r.status}`);
    });
  const handlerMs = await perCall(samples, (i) => handle(deps, i));
  const noAuth: Deps = { ...deps, env: { ...deps.env, POMONA_DEVICE_AUTH: "none" } };
  const handlerNoAuthMs = await perCall(samples * 5, (i) => handle(noAuth, samples + i));
  return { verifyMs, decodeUs, handlerMs, handlerNoAuthMs, samples };
}

// G8: the enrollment storm. New virtual Macs (not in the snapshot) each fetch GET /mdm/enroll?token=…, open
// the profile as macOS does (simulator/profile.ts: the PKCS#12 with simulator/pkcs12.ts), then send a signed
// Authenticate and a signed TokenUpdate. Runs until every Mac is enrolled or the time budget ends; the
// rest is projected from the measured rate.
import { randomBytes, randomUUID } from "node:crypto";
import http from "node:http";
import { performance } from "node:perf_hooks";

import { generateMacSpecs } from "../simulator/catalog";
import { encodePlist } from "../simulator/plist";
import { parseEnrollmentProfile } from "../simulator/profile";
import { createMdmSigner } from "../simulator/signing";

import { CHECKIN_CONTENT_TYPE } from "./fleet";
import { get, Histogram, put } from "./load";

export type StormResult = {
  wanted: number;
  enrolled: number;
  failed: number;
  errorSamples: string[];
  seconds: number;
  perSecond: number;
  projectedSeconds: number;
  udids: string[];
  /** Client-side cost per Mac (profile opening and signing), which shares the CPU with the server. */
  clientMsPerMac: number;
  steps: { enrollMs: ReturnType<Histogram["summary"]>; authenticateMs: ReturnType<Histogram["summary"]>; tokenUpdateMs: ReturnType<Histogram["summary"]> };
};

export async function enrollmentStorm(options: { port: number; token: string; count: number; budgetS: number; concurrency: number; seed: number }): Promise<StormResult> {
  const specs = generateMacSpecs(options.seed + 1, options.count);
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });
  const enrollMs = new Histogram();
  const authenticateMs = new Histogram();
  const tokenUpdateMs = new Histogram();
  const errorSamples: string[] = [];
  const udids: string[] = [];
  let next = 0;
  let failed = 0;
  let clientMs = 0;
  const start = performance.now();
  const deadline = start + options.budgetS * 1000;

  const one = async (i: number) => {
    const spec = specs[i]!;
    let t = performance.now();
    const profile = await get(agent, options.port, `/mdm/enroll?token=${encodeURIComponent(options.token)}`);
    enrollMs.add(performance.now() - t);
    if (profile.status !== 200) throw new Error(`enroll answered ${profile.status}`);
    let c = performance.now();
    const parsed = parseEnrollmentProfile(profile.body);
    const sign = createMdmSigner(parsed.identity);
    const authenticate = Buffer.from(
      encodePlist({
        MessageType: "Authenticate",
        Topic: parsed.topic,
        UDID: spec.udid,
        DeviceName: spec.deviceName,
        Model: spec.model.identifier,
        ModelName: spec.model.name,
        ProductName: spec.model.identifier,
        SerialNumber: spec.serialNumber,
        OSVersion: spec.os.version,
        BuildVersion: spec.os.build,
      }),
    );
    const authSig = sign(authenticate);
    clientMs += performance.now() - c;
    t = performance.now();
    const a = await put(agent, options.port, authenticate, authSig, CHECKIN_CONTENT_TYPE);
    authenticateMs.add(performance.now() - t);
    if (a.status !== 200) throw new Error(`Authenticate answered ${a.status}: ${a.text.trim()}`);
    c = performance.now();
    const tokenUpdate = Buffer.from(encodePlist({ MessageType: "TokenUpdate", Topic: parsed.topic, UDID: spec.udid, Token: randomBytes(32), PushMagic: randomUUID().toUpperCase(), AwaitingConfiguration: false }));
    const tuSig = sign(tokenUpdate);
    clientMs += performance.now() - c;
    t = performance.now();
    const u = await put(agent, options.port, tokenUpdate, tuSig, CHECKIN_CONTENT_TYPE);
    tokenUpdateMs.add(performance.now() - t);
    if (u.status !== 200) throw new Error(`TokenUpdate answered ${u.status}: ${u.text.trim()}`);
    udids.push(spec.udid);
  };

  const worker = async () => {
    while (next < options.count && performance.now() < deadline) {
      const i = next++;
      try {
        await one(i);
      } catch (e) {
        failed++;
        if (errorSamples.length < 3) errorSamples.push(e instanceof Error ? e.message : String(e));
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  agent.destroy();
  const seconds = (performance.now() - start) / 1000;
  const done = udids.length;
  const perSecond = done / seconds;
  return {
    wanted: options.count,
    enrolled: done,
    failed,
    errorSamples,
    seconds,
    perSecond,
    projectedSeconds: done >= options.count ? seconds : options.count / Math.max(perSecond, 1e-9),
    udids,
    clientMsPerMac: done ? clientMs / (done + failed) : 0,
    steps: { enrollMs: enrollMs.summary(), authenticateMs: authenticateMs.summary(), tokenUpdateMs: tokenUpdateMs.summary() },
  };
}

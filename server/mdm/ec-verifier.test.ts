// PUT /mdm checks an EC signer's signature on the verifier's thread (ec-verifier.ts), in batches: every answer
// must be the one the calling thread gives for the same request, whatever the batch holds, and a thread that
// dies must not leave a request unanswered.
import { spawnSync } from "node:child_process";
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { beforeAll, describe, expect, it } from "vitest";

import { DAY } from "@/server/clock";
import { ensureDeviceCa } from "@/server/services/pki";
import { createTestDeps } from "@/server/testing";

import { createLeafIssuer } from "../../bench/certs";
import { verifyMdmSignature, verifyMdmSignatureSync } from "./device-auth";
import { checkEcSignature, ecVerifierStats, isWorkerCheck, stopEcVerifierForTests } from "./ec-verifier";
import { signLikeAMac, type Identity } from "./test-identity";

type Case = { body: Buffer; header: string; expected: "ok" | "forged" };

describe("EC signatures checked on the verifier's thread", () => {
  const deps = createTestDeps();
  const now = deps.clock.now();
  let caPem: string;
  const macs: Identity[] = [];

  beforeAll(() => {
    const ca = ensureDeviceCa(deps);
    caPem = ca.certificatePem;
    // Two Macs per curve Pomona's fast path reads, each with its own key.
    for (const namedCurve of ["prime256v1", "secp384r1", "secp521r1"])
      for (let n = 0; n < 2; n++) {
        const { privateKey } = generateKeyPairSync("ec", { namedCurve });
        const issuer = createLeafIssuer({ caCertificatePem: ca.certificatePem, caPrivateKeyPem: ca.privateKeyPem, leafPrivateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }) as string, notBefore: new Date(now.getTime() - DAY), notAfter: new Date(now.getTime() + DAY) });
        macs.push({ privateKey, certificateDer: issuer.issue(macs.length, `ec-verifier ${namedCurve} ${n}`) });
      }
  });

  /** Requests from every Mac: signed by it, or signed by another Mac's key under its certificate (only the signature's check can tell). */
  function cases(count: number, tag: string): Case[] {
    return Array.from({ length: count }, (_, i) => {
      const mac = macs[i % macs.length]!;
      const body = Buffer.from(`<plist version="1.0"><dict><key>Status</key><string>Idle</string><key>N</key><string>${tag}-${i}</string></dict></plist>`);
      if (i % 2 === 0) return { body, header: signLikeAMac(body, mac, now), expected: "ok" };
      const impostor: KeyObject = macs[(i + 2) % macs.length]!.privateKey;
      return { body, header: signLikeAMac(body, { privateKey: impostor, certificateDer: mac.certificateDer }, now), expected: "forged" };
    });
  }

  const expectAnswers = (got: Awaited<ReturnType<typeof verifyMdmSignature>>[], all: Case[]) => {
    expect(got).toEqual(all.map((c) => verifyMdmSignatureSync(c.body, c.header, caPem, now)));
    expect(got.map((r) => (r.ok ? "ok" : r.reason))).toEqual(all.map((c) => (c.expected === "ok" ? "ok" : "Mdm-Signature does not match the body")));
  };

  it("answers a batch of valid and forged requests from Macs on three curves, each as the calling thread does", async () => {
    const before = ecVerifierStats();
    const all = cases(60, "batch");
    const got = await Promise.all(all.map((c) => verifyMdmSignature(c.body, c.header, caPem, now)));
    expectAnswers(got, all);
    const after = ecVerifierStats();
    expect(after.running).toBe(true);
    expect(after.checksSent - before.checksSent, "every signer check went to the thread").toBe(60);
    expect(after.checksHere - before.checksHere).toBe(0);
  });

  it("a point off its curve: the certificate cannot be read, on the thread as on the calling thread", async () => {
    const mac = macs[0]!;
    const at = mac.certificateDer.indexOf(Buffer.from([0x03, 0x42, 0x00, 0x04])) + 4;
    expect(at).toBeGreaterThan(3);
    const bad = Buffer.from(mac.certificateDer);
    bad[at + 63] = bad[at + 63]! ^ 0x01; // y off by one bit: not on P-256
    const body = Buffer.from("<plist/>");
    const header = signLikeAMac(body, { privateKey: mac.privateKey, certificateDer: bad }, now);
    expect(await verifyMdmSignature(body, header, caPem, now)).toEqual({ ok: false, reason: "signer certificate cannot be read" });
    expect(verifyMdmSignatureSync(body, header, caPem, now)).toEqual({ ok: false, reason: "signer certificate cannot be read" });
    const point = bad.subarray(at - 1, at + 64);
    expect(await checkEcSignature({ digest: "sha256", crv: "P-256", point, data: body, signature: Buffer.alloc(8) })).toBe("unreadable-key");
  });

  it("takes only checks a record can hold: a known digest and curve, a point of the curve's size, 16-bit fields", () => {
    const point = Buffer.alloc(65, 1);
    point[0] = 4;
    const check = { digest: "sha256", crv: "P-256", point, data: Buffer.alloc(100), signature: Buffer.alloc(72) };
    expect(isWorkerCheck(check)).toBe(true);
    expect(isWorkerCheck({ ...check, data: Buffer.alloc(0x10000) })).toBe(false);
    expect(isWorkerCheck({ ...check, signature: Buffer.alloc(0x10000) })).toBe(false);
    expect(isWorkerCheck({ ...check, digest: "md5" })).toBe(false);
    expect(isWorkerCheck({ ...check, crv: "secp256k1" })).toBe(false);
    expect(isWorkerCheck({ ...check, crv: "P-384" })).toBe(false);
    expect(isWorkerCheck({ ...check, point: Buffer.concat([Buffer.from([2]), point.subarray(1)]) })).toBe(false);
  });

  it("a thread that dies with checks in hand: they are answered here, and the next check starts a new thread", async () => {
    await stopEcVerifierForTests();
    const before = ecVerifierStats();
    expect(before.running).toBe(false);
    const all = cases(24, "crash");
    const pending = Promise.all(all.map((c) => verifyMdmSignature(c.body, c.header, caPem, now)));
    // The batch goes out on the next turn to a thread just started, which dies before it has read it.
    await new Promise((resolve) => setImmediate(resolve));
    expect(ecVerifierStats().checksSent - before.checksSent).toBe(24);
    await stopEcVerifierForTests();
    expectAnswers(await pending, all);
    const crashed = ecVerifierStats();
    expect(crashed.failures - before.failures).toBe(1);
    expect(crashed.checksHere - before.checksHere).toBe(24);
    expect(crashed.running).toBe(false);

    const again = cases(6, "after");
    expectAnswers(await Promise.all(again.map((c) => verifyMdmSignature(c.body, c.header, caPem, now))), again);
    const after = ecVerifierStats();
    expect(after.started - crashed.started).toBe(1);
    expect(after.checksSent - crashed.checksSent).toBe(6);
    expect(after.running).toBe(true);
  });

  it("holds the process open while it has checks in hand, and not after", () => {
    // A script whose only pending work is one check: it must print the answer and exit by itself.
    const script = `
      import { generateKeyPairSync, sign } from "node:crypto";
      const { checkEcSignature } = await import(${JSON.stringify(path.join(import.meta.dirname, "ec-verifier.ts"))});
      const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
      const point = publicKey.export({ format: "der", type: "spki" }).subarray(-65);
      const data = Buffer.from("one check");
      console.log(await checkEcSignature({ digest: "sha256", crv: "P-256", point, data, signature: sign("sha256", data, privateKey) }));`;
    // A file, not `node -e`: an evaluated module's process exits whatever handles it holds.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pomona-ec-verifier-"));
    const file = path.join(dir, "one-check.mjs");
    fs.writeFileSync(file, script);
    const run = spawnSync(process.execPath, ["--import", "tsx", file], { encoding: "utf8", timeout: 30_000 });
    fs.rmSync(dir, { recursive: true, force: true });
    expect(run.stderr).toBe("");
    expect({ status: run.status, stdout: run.stdout.trim() }).toEqual({ status: 0, stdout: "valid" });
  });
});

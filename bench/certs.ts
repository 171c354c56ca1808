// Device identity certificates for the seeded fleet, minted fast and reproducibly. Every seeded Mac has its
// own certificate, issued by Pomona's own device CA with Pomona's own builder (server/services/pki.ts), but
// all of them hold ONE P-256 key pair, the kind Pomona's enrollment issues (acceptable for a benchmark: the
// server never compares public keys across devices, it binds the certificate's SHA-256 to one UDID), and no
// PKCS#12 is made. Every certificate has its own serial and CN, so every Mac has its own identity hash,
// exactly one UDID each.
import { createHash, createPrivateKey, createPublicKey, sign, type KeyObject } from "node:crypto";

import { assembleCertificate, certificateIssuer, identityTbsCertificate } from "@/server/services/pki";

export type LeafIssuer = {
  /** Mints the certificate (DER) of device `index`. Deterministic for a given CA, key and `notBefore`. */
  issue(index: number, commonName: string): Buffer;
  /** The shared leaf private key. */
  privateKey: KeyObject;
};

/** A positive 16-byte serial derived from the index (top bit clear, second bit set: no leading zero byte). */
function serialFor(index: number): Buffer {
  const bytes = createHash("sha256").update(`pomona-bench-serial-${index}`).digest().subarray(0, 16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x40;
  return bytes;
}

export function createLeafIssuer(options: { caCertificatePem: string; caPrivateKeyPem: string; leafPrivateKeyPem: string; notBefore: Date; notAfter: Date }): LeafIssuer {
  const issuer = certificateIssuer({ certificatePem: options.caCertificatePem, privateKeyPem: options.caPrivateKeyPem });
  const privateKey = createPrivateKey(options.leafPrivateKeyPem);
  const publicKey = createPublicKey(privateKey);
  return {
    privateKey,
    issue(index, commonName) {
      const tbs = identityTbsCertificate(issuer, { serial: serialFor(index), commonName, notBefore: options.notBefore, notAfter: options.notAfter, publicKey });
      return assembleCertificate(issuer, tbs, sign("sha256", tbs, issuer.key));
    },
  };
}

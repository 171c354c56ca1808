// Test support: an APNs-shaped push certificate (subject UID = the MDM topic) and its keys.
import crypto from "node:crypto";

import forge from "node-forge";

const UID_OID = "0.9.2342.19200300.100.1.1";
export type Keys = { privatePem: string; forgePrivate: forge.pki.rsa.PrivateKey; forgePublic: forge.pki.PublicKey };

// Node generates the RSA keys (fast); forge builds and signs the certificates (as in server/push/apns.test.ts).
export function rsaKeys(): Keys {
  const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    privatePem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    forgePrivate: forge.pki.privateKeyFromPem(privateKey.export({ type: "pkcs1", format: "pem" }).toString()),
    forgePublic: forge.pki.publicKeyFromPem(publicKey.export({ type: "spki", format: "pem" }).toString()),
  };
}

export function pushCertificate(keys: Keys, options: { uid?: string; notAfter?: Date } = {}): string {
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.forgePublic;
  cert.serialNumber = "0a";
  cert.validity.notBefore = new Date("2025-01-01T00:00:00Z");
  cert.validity.notAfter = options.notAfter ?? new Date("2027-01-01T00:00:00Z");
  const subject: forge.pki.CertificateField[] = [{ name: "commonName", value: "APSP:test-push" }];
  if (options.uid !== undefined) subject.unshift({ type: UID_OID, value: options.uid });
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: "basicConstraints", cA: false },
    { name: "extKeyUsage", clientAuth: true },
  ]);
  cert.sign(keys.forgePrivate, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

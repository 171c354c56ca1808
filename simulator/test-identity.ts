// For the simulator's own tests: a CA, a device identity in a PKCS#12, and an enrollment profile shaped
// like Pomona's (DESIGN §4.1), all made locally so no server is needed.
import { generateKeyPairSync, randomUUID } from "node:crypto";

import forge from "node-forge";

import { encodePlist } from "./plist";

export type TestIdentity = { pkcs12: Buffer; password: string; certificatePem: string; caCertificatePem: string };

function forgeKeys() {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs1", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
  const key = forge.pki.privateKeyFromPem(privateKey);
  return { privateKey: key, publicKey: forge.pki.setRsaPublicKey(key.n, key.e) };
}

/** A device identity issued by a throwaway CA, packed as Pomona packs it (3DES PKCS#12 with the CA cert). */
export function makeTestIdentity(commonName = "Test device"): TestIdentity {
  const caKeys = forgeKeys();
  const ca = forge.pki.createCertificate();
  ca.publicKey = caKeys.publicKey;
  ca.serialNumber = "01";
  ca.validity.notBefore = new Date(Date.now() - 3_600_000);
  ca.validity.notAfter = new Date(Date.now() + 365 * 86_400_000);
  const caName = [{ name: "commonName", value: "Test device CA" }];
  ca.setSubject(caName);
  ca.setIssuer(caName);
  ca.setExtensions([{ name: "basicConstraints", cA: true, critical: true }]);
  ca.sign(caKeys.privateKey, forge.md.sha256.create());

  const keys = forgeKeys();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = "00c0ffee0123456789";
  cert.validity.notBefore = new Date(Date.now() - 3_600_000);
  cert.validity.notAfter = new Date(Date.now() + 365 * 86_400_000);
  cert.setSubject([
    { name: "commonName", value: commonName },
    { name: "organizationName", value: "Pomona" },
  ]);
  cert.setIssuer(caName);
  cert.setExtensions([{ name: "extKeyUsage", clientAuth: true }]);
  cert.sign(caKeys.privateKey, forge.md.sha256.create());

  const password = "pässword-123";
  const asn1 = forge.pkcs12.toPkcs12Asn1(keys.privateKey, [cert, ca], password, { algorithm: "3des", friendlyName: commonName, generateLocalKeyId: true });
  return {
    pkcs12: Buffer.from(forge.asn1.toDer(asn1).getBytes(), "binary"),
    password,
    certificatePem: forge.pki.certificateToPem(cert),
    caCertificatePem: forge.pki.certificateToPem(ca),
  };
}

/** An enrollment profile (.mobileconfig text) with a pkcs12 payload and a com.apple.mdm payload. */
export function makeEnrollmentProfile(identity: TestIdentity, serverUrl: string, options: { signMessage?: boolean } = {}): string {
  const identityUuid = randomUUID().toUpperCase();
  return encodePlist({
    PayloadType: "Configuration",
    PayloadVersion: 1,
    PayloadIdentifier: "com.pomona.mdm.enrollment",
    PayloadUUID: randomUUID().toUpperCase(),
    PayloadDisplayName: "Pomona MDM enrollment",
    PayloadContent: [
      { PayloadType: "com.apple.security.pkcs12", PayloadVersion: 1, PayloadIdentifier: "com.pomona.mdm.enrollment.identity", PayloadUUID: identityUuid, PayloadContent: identity.pkcs12, Password: identity.password },
      {
        PayloadType: "com.apple.mdm",
        PayloadVersion: 1,
        PayloadIdentifier: "com.pomona.mdm.enrollment.mdm",
        PayloadUUID: randomUUID().toUpperCase(),
        ServerURL: serverUrl,
        CheckInURL: serverUrl,
        Topic: "com.apple.mgmt.External.test",
        IdentityCertificateUUID: identityUuid,
        SignMessage: options.signMessage ?? true,
        AccessRights: 8191,
      },
    ],
  });
}

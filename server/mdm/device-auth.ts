// Device authentication by `Mdm-Signature` (DESIGN §4.1, mdm-protocol.md §9.1, reliability-security.md §2):
// the header is base64 of a CMS SignedData with detached content, the device identity's signature over the
// exact request body. NanoMDM's `cryptoutil.VerifyMdmSignature` plus its `certverify.PoolVerifier` chain
// check, in pkijs (node-forge cannot verify PKCS#7). Every failure is a one-line reason, never a throw.
import { X509Certificate } from "node:crypto";

import * as asn1js from "asn1js";
import * as pkijs from "pkijs";

import { certificateSha256 } from "@/server/services/pki";

export type MdmSignatureResult = { ok: true; certificateDer: Buffer; certificateSha256: string } | { ok: false; reason: string };

const ID_SIGNED_DATA = "1.2.840.113549.1.7.2";
const ID_EXT_KEY_USAGE = "2.5.29.37";
const EKU_CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
const EKU_ANY = "2.5.29.37.0";
/** A real Mdm-Signature is a few KiB; anything this large is refused before decoding. */
const MAX_HEADER_LENGTH = 64 * 1024;

// One engine over Node's WebCrypto, passed explicitly: no pkijs global state is changed.
const engine = new pkijs.CryptoEngine({ name: "node", crypto: globalThis.crypto });

const fail = (reason: string): MdmSignatureResult => ({ ok: false, reason });

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy.buffer;
}

function parseSignedData(header: string): pkijs.SignedData | undefined {
  const compact = header.replace(/\s+/g, "");
  if (compact.length === 0 || compact.length > MAX_HEADER_LENGTH || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return undefined;
  const der = Buffer.from(compact, "base64");
  if (der.length === 0) return undefined;
  try {
    const asn1 = asn1js.fromBER(toArrayBuffer(der));
    if (asn1.offset === -1) return undefined;
    const contentInfo = new pkijs.ContentInfo({ schema: asn1.result });
    if (contentInfo.contentType !== ID_SIGNED_DATA) return undefined;
    return new pkijs.SignedData({ schema: contentInfo.content });
  } catch {
    return undefined;
  }
}

function hasClientAuth(cert: pkijs.Certificate): boolean {
  const ext = cert.extensions?.find((e) => e.extnID === ID_EXT_KEY_USAGE);
  if (!ext) return true; // no EKU extension: any use (RFC 5280 §4.2.1.12)
  const parsed: unknown = ext.parsedValue;
  if (!(parsed instanceof pkijs.ExtKeyUsage)) return false;
  return parsed.keyPurposes.includes(EKU_CLIENT_AUTH) || parsed.keyPurposes.includes(EKU_ANY);
}

/**
 * Verifies `Mdm-Signature` against the body and Pomona's device CA at the instant `now`, and returns the
 * signer certificate (DER) with its SHA-256, the identity bound to the UDID at Authenticate.
 */
export async function verifyMdmSignature(body: Buffer, signatureHeader: string | undefined, caCertificatePem: string, now: Date): Promise<MdmSignatureResult> {
  if (signatureHeader === undefined || signatureHeader.trim() === "") return fail("missing Mdm-Signature header");
  const signedData = parseSignedData(signatureHeader);
  if (!signedData) return fail("Mdm-Signature is not valid base64 CMS");
  if (signedData.signerInfos.length !== 1) return fail(`Mdm-Signature must have exactly one signer (found ${signedData.signerInfos.length})`);
  if (!signedData.certificates?.some((c) => c instanceof pkijs.Certificate)) return fail("Mdm-Signature carries no signer certificate");

  // The signature must cover this body: drop any encapsulated content so pkijs verifies the body, not it.
  delete signedData.encapContentInfo.eContent;

  let signer: pkijs.Certificate;
  try {
    const result = await signedData.verify({ signer: 0, data: toArrayBuffer(body), checkChain: false, extendedMode: true, checkDate: now }, engine);
    if (!result.signatureVerified || !result.signerCertificate) return fail("Mdm-Signature does not match the body");
    signer = result.signerCertificate;
  } catch (e) {
    const code = e instanceof pkijs.SignedDataVerifyError ? e.code : undefined;
    if (code === 3) return fail("Mdm-Signature carries no signer certificate");
    if (code === 7) return fail("Mdm-Signature uses an unsupported digest algorithm");
    return fail("Mdm-Signature does not match the body");
  }

  let certificateDer: Buffer;
  let leaf: X509Certificate;
  let ca: X509Certificate;
  let caNotAfter: Date;
  try {
    certificateDer = Buffer.from(signer.toSchema().toBER(false));
    leaf = new X509Certificate(certificateDer);
  } catch {
    return fail("signer certificate cannot be read");
  }
  try {
    ca = new X509Certificate(caCertificatePem);
    caNotAfter = pkijs.Certificate.fromBER(ca.raw).notAfter.value;
  } catch {
    return fail("Pomona's device CA certificate cannot be read");
  }

  if (!leaf.checkIssued(ca) || !leaf.verify(ca.publicKey)) return fail("signer certificate is not issued by Pomona's device CA");
  const at = now.getTime();
  if (at < signer.notBefore.value.getTime()) return fail("signer certificate is not valid yet");
  if (at > signer.notAfter.value.getTime()) return fail("signer certificate expired");
  if (at > caNotAfter.getTime()) return fail("Pomona's device CA certificate expired");
  if (!hasClientAuth(signer)) return fail("signer certificate is not for client authentication");

  return { ok: true, certificateDer, certificateSha256: certificateSha256(certificateDer) };
}

// Installing the enrollment profile, as macOS does: read the .mobileconfig (optionally CMS-signed), open
// the com.apple.security.pkcs12 payload with its Password, and take the com.apple.mdm payload's URLs.
import type { KeyObject } from "node:crypto";

import { derChildren, derContent, derOidText, readDer } from "./der";
import { readPkcs12 } from "./pkcs12";
import { arrayAt, booleanAt, dataAt, decodePlist, isPlistDict, stringAt, type PlistDict } from "./plist";

/** A device identity: the private key (RSA or EC, for node:crypto) and its certificate, as DER. */
export type DeviceIdentity = { privateKey: KeyObject; certificateDer: Buffer };

export type EnrollmentProfile = {
  payloadIdentifier: string;
  serverUrl: string;
  checkInUrl: string;
  topic: string;
  signMessage: boolean;
  accessRights: number | undefined;
  identity: DeviceIdentity;
};

export class ProfileError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ProfileError";
  }
}

const ID_SIGNED_DATA = "1.2.840.113549.1.7.2";

/**
 * A .mobileconfig may be an XML plist or a CMS SignedData wrapping one (signed profiles): returns the
 * plist bytes either way.
 */
export function unwrapProfile(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09 || bytes[i] === 0xef || bytes[i] === 0xbb || bytes[i] === 0xbf)) i++;
  if (bytes[i] === 0x3c /* < */) return bytes;
  try {
    // ContentInfo { contentType, [0] SignedData { version, digestAlgorithms, encapContentInfo { type, [0] OCTET STRING } … } }
    const ci = readDer(bytes);
    const [type, explicit] = derChildren(bytes, ci);
    if (!type || !explicit) throw new Error("not a ContentInfo");
    const oid = derOidText(bytes, type);
    if (oid !== ID_SIGNED_DATA) throw new Error(`content type ${oid} is not SignedData`);
    const [signedData] = derChildren(bytes, explicit);
    const encap = signedData ? derChildren(bytes, signedData)[2] : undefined;
    const wrapper = encap ? derChildren(bytes, encap)[1] : undefined;
    const octets = wrapper ? derChildren(bytes, wrapper)[0] : undefined;
    if (!octets) throw new Error("signed profile without content");
    if (octets.tag === 0x04) return derContent(bytes, octets);
    // A constructed OCTET STRING (BER): concatenate its pieces.
    return Buffer.concat(derChildren(bytes, octets).map((n) => derContent(bytes, n)));
  } catch (e) {
    throw new ProfileError("the profile is neither an XML plist nor a signed profile", { cause: e });
  }
}

/** Decodes a .mobileconfig into its top-level dictionary. */
export function readProfile(bytes: Uint8Array): PlistDict {
  const value = decodePlist(unwrapProfile(bytes));
  if (!isPlistDict(value)) throw new ProfileError("the profile is not a dictionary");
  return value;
}

/** Opens a PKCS#12 with its password (simulator/pkcs12.ts), as the keychain does when the profile installs. */
export function openPkcs12(der: Uint8Array, password: string): DeviceIdentity {
  let opened: ReturnType<typeof readPkcs12>;
  try {
    opened = readPkcs12(der, password);
  } catch (e) {
    throw new ProfileError(`the identity (PKCS#12) cannot be opened with the profile's password: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  return { privateKey: opened.privateKey, certificateDer: opened.certificate };
}

/** Reads an enrollment profile the way macOS installs it (DESIGN §4.1: pkcs12 + com.apple.mdm payloads). */
export function parseEnrollmentProfile(bytes: Uint8Array): EnrollmentProfile {
  const profile = readProfile(bytes);
  const payloads = (arrayAt(profile, "PayloadContent") ?? []).filter(isPlistDict);
  const mdm = payloads.find((p) => stringAt(p, "PayloadType") === "com.apple.mdm");
  if (!mdm) throw new ProfileError("the profile has no com.apple.mdm payload");
  const serverUrl = stringAt(mdm, "ServerURL");
  const topic = stringAt(mdm, "Topic");
  const identityUuid = stringAt(mdm, "IdentityCertificateUUID");
  if (!serverUrl || !topic || !identityUuid) throw new ProfileError("the com.apple.mdm payload lacks ServerURL, Topic or IdentityCertificateUUID");
  const identityPayload = payloads.find((p) => stringAt(p, "PayloadUUID") === identityUuid);
  if (!identityPayload) throw new ProfileError(`no payload with PayloadUUID ${identityUuid} (IdentityCertificateUUID)`);
  if (stringAt(identityPayload, "PayloadType") !== "com.apple.security.pkcs12") {
    throw new ProfileError(`the identity payload is ${stringAt(identityPayload, "PayloadType")}, not com.apple.security.pkcs12 (SCEP is not simulated)`);
  }
  const p12 = dataAt(identityPayload, "PayloadContent");
  if (!p12) throw new ProfileError("the com.apple.security.pkcs12 payload has no PayloadContent");
  const rights = mdm.AccessRights;
  return {
    payloadIdentifier: stringAt(profile, "PayloadIdentifier") ?? "",
    serverUrl,
    checkInUrl: stringAt(mdm, "CheckInURL") ?? serverUrl,
    topic,
    signMessage: booleanAt(mdm, "SignMessage") ?? false,
    accessRights: typeof rights === "number" ? rights : undefined,
    identity: openPkcs12(p12, stringAt(identityPayload, "Password") ?? ""),
  };
}

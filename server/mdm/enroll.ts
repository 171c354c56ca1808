// GET /mdm/enroll?token=T (DESIGN §4.1): checks the enrollment token, issues a device identity from
// Pomona's CA and answers the enrollment profile. The identity (server/services/pki.ts) costs the event loop
// a P-256 key and its DER; the CA's RSA signature runs on libuv's thread pool. The certificate is noted as
// the CA's, so the Mac's Authenticate does not check that signature again.
import { randomBytes } from "node:crypto";

import type { Deps } from "@/server/deps";
import { recordEnrollmentProfileIssued, redeemEnrollmentToken } from "@/server/services/enrollment";
import { certificateSha256, deviceCa, getPushTopic, issueDeviceIdentity } from "@/server/services/pki";
import { inCommitGroup } from "@/db/commit-group";

import { rememberIssuedCertificate } from "./device-auth";
import { buildEnrollmentProfile } from "./enrollment-profile";
import type { MdmHttpResult } from "./http-result";

export const ENROLLMENT_PROFILE_CONTENT_TYPE = "application/x-apple-aspen-config";
export const ENROLLMENT_PROFILE_FILENAME = "pomona-enroll.mobileconfig";

/** Answers GET /mdm/enroll: 403 with one generic line for a bad token, else the enrollment profile. */
export async function handleEnrollRequest(deps: Deps, token: string | null): Promise<MdmHttpResult> {
  // Both writes share a commit with the other requests of their event-loop turn (db/commit-group.ts), and the
  // answer waits for the second's commit.
  const redeemed = await inCommitGroup(deps.db, () => redeemEnrollmentToken(deps, token));
  if (!redeemed.ok) {
    // The Mac (or whoever holds the URL) learns only that the token was refused; the log says why.
    deps.log.warn("enrollment refused", { reason: redeemed.reason });
    return {
      status: 403,
      headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
      body: "invalid or expired enrollment token\n",
    };
  }

  const commonName = `Pomona device ${randomBytes(4).toString("hex")}`;
  const identity = await issueDeviceIdentity(deps, { commonName });
  rememberIssuedCertificate(deviceCa(deps).certificatePem, identity.certificateDer);
  const profile = buildEnrollmentProfile({ publicUrl: deps.publicUrl, topic: getPushTopic(deps), identity });
  await inCommitGroup(deps.db, () => recordEnrollmentProfileIssued(deps, { label: redeemed.label, commonName, certificateSha256: certificateSha256(identity.certificateDer) }));
  deps.log.debug("enrollment profile issued", { token: redeemed.label, identity: commonName });

  return {
    status: 200,
    headers: {
      "content-type": ENROLLMENT_PROFILE_CONTENT_TYPE,
      "content-disposition": `attachment; filename="${ENROLLMENT_PROFILE_FILENAME}"`,
      // The profile holds a private key and its password: never cache it anywhere.
      "cache-control": "no-store",
    },
    body: profile,
  };
}

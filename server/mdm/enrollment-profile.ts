// The enrollment profile (.mobileconfig) served at GET /mdm/enroll (DESIGN §4.1): a com.apple.security.pkcs12
// payload holding the device identity and a com.apple.mdm payload pointing at /mdm. Keys are spelled as in
// apple/device-management `mdm/profiles/com.apple.mdm.yaml` and `com.apple.security.pkcs12.yaml`.
import { randomUUID } from "node:crypto";

import { encodePlist } from "./plist";

/** AccessRights: every right (1 … 4096 OR-ed), so inventory (256) and app installs (4096) are allowed. */
export const ENROLLMENT_ACCESS_RIGHTS = 8191;
export const DEFAULT_PAYLOAD_IDENTIFIER_BASE = "com.pomona.mdm.enrollment";

export type EnrollmentProfileInput = {
  publicUrl: string;
  topic: string;
  identity: { pkcs12: Buffer; password: string };
  organization?: string;
  payloadIdentifierBase?: string;
};

const newPayloadUuid = () => randomUUID().toUpperCase();

/** Builds the enrollment profile's XML text. */
export function buildEnrollmentProfile(input: EnrollmentProfileInput): string {
  const base = input.payloadIdentifierBase ?? DEFAULT_PAYLOAD_IDENTIFIER_BASE;
  const organization = input.organization ?? "Pomona";
  const serverUrl = `${input.publicUrl.replace(/\/+$/, "")}/mdm`;
  const identityUuid = newPayloadUuid();
  const mdmUuid = newPayloadUuid();

  return encodePlist({
    PayloadType: "Configuration",
    PayloadVersion: 1,
    PayloadIdentifier: base,
    PayloadUUID: newPayloadUuid(),
    PayloadDisplayName: "Pomona MDM enrollment",
    PayloadDescription: "Lets Pomona install and update apps on this Mac.",
    PayloadOrganization: organization,
    PayloadContent: [
      {
        PayloadType: "com.apple.security.pkcs12",
        PayloadVersion: 1,
        PayloadIdentifier: `${base}.identity`,
        PayloadUUID: identityUuid,
        PayloadDisplayName: "Device identity",
        PayloadContent: input.identity.pkcs12,
        Password: input.identity.password,
      },
      {
        PayloadType: "com.apple.mdm",
        PayloadVersion: 1,
        PayloadIdentifier: `${base}.mdm`,
        PayloadUUID: mdmUuid,
        PayloadDisplayName: "Pomona MDM",
        PayloadOrganization: organization,
        ServerURL: serverUrl,
        CheckInURL: serverUrl,
        Topic: input.topic,
        IdentityCertificateUUID: identityUuid,
        SignMessage: true,
        CheckOutWhenRemoved: true,
        AccessRights: ENROLLMENT_ACCESS_RIGHTS,
        // No ServerCapabilities: Pomona neither opens user channels (UserAuthenticate gets 410) nor escrows
        // bootstrap tokens, so it must not invite the Mac to send those check-ins.
      },
    ],
  });
}

// The APNs push certificate (mdm-protocol.md §4): admins upload the certificate Apple signed and its private
// key; Pomona checks them, stores them in the credentials table and switches the live push provider.
import { createPrivateKey, X509Certificate, type KeyObject } from "node:crypto";

import { eq } from "drizzle-orm";

import type { Principal } from "@/server/auth/actor";
import { DAY } from "@/server/clock";
import type { Deps } from "@/server/deps";
import { AppError } from "@/server/errors";
import { certificateNotAfter, createApnsProvider, topicFromCertificate } from "@/server/push/apns";
import { recordAdminAction } from "@/server/services/audit";
import { credentials } from "@/db/schema";

import { APNS_PUSH_CREDENTIAL } from "./pki";

const MDM_TOPIC_PREFIX = "com.apple.mgmt.";

export type PushCertificateSummary = { topic: string; subject: string; notAfter: Date; daysLeft: number };

/** "UID=…\nCN=…" (Node's form) as one line. */
const subjectLine = (cert: X509Certificate) => cert.subject.split("\n").filter(Boolean).join(", ");

/** Whole days until expiry, rounded down: negative once the certificate has expired. */
const daysUntil = (notAfter: Date, now: Date) => Math.floor((notAfter.getTime() - now.getTime()) / DAY);

/** The installed push certificate: its topic, subject, expiry and days left, or null when none is installed. */
export function getPushCertificate(deps: Pick<Deps, "db" | "clock">): PushCertificateSummary | null {
  const row = deps.db.select().from(credentials).where(eq(credentials.name, APNS_PUSH_CREDENTIAL)).get();
  if (!row) return null;
  let topic = row.topic;
  let subject = row.subject;
  let notAfter = row.notAfter;
  if (topic === null || subject === null || notAfter === null) {
    // A row written by hand or by an older version: read what is missing from the certificate itself.
    try {
      topic ??= topicFromCertificate(row.certificatePem) ?? "";
      subject ??= subjectLine(new X509Certificate(row.certificatePem));
      notAfter ??= certificateNotAfter(row.certificatePem);
    } catch {
      topic ??= "";
      subject ??= "";
      notAfter ??= new Date(0);
    }
  }
  return { topic, subject, notAfter, daysLeft: daysUntil(notAfter, deps.clock.now()) };
}

function parseCertificate(pem: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (e) {
    throw new AppError("BAD_REQUEST", "The certificate could not be read: paste the PEM text that starts with -----BEGIN CERTIFICATE-----", { cause: e });
  }
}

function parsePrivateKey(pem: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch (e) {
    throw new AppError("BAD_REQUEST", "The private key could not be read: paste the unencrypted PEM text that starts with -----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----", {
      cause: e,
    });
  }
}

/**
 * Checks and installs an MDM push certificate: it must parse, match its private key, carry an MDM topic
 * (subject UID com.apple.mgmt.…) and not be expired. Stores it with one admin event in one transaction, then
 * replaces the live push provider (deps is the process-wide object) and closes the old one.
 */
export async function installPushCertificate(
  deps: Pick<Deps, "db" | "clock" | "log" | "push">,
  input: { certificatePem: string; privateKeyPem: string },
  by: Principal,
): Promise<PushCertificateSummary> {
  const certificatePem = input.certificatePem.trim();
  const privateKeyPem = input.privateKeyPem.trim();
  const cert = parseCertificate(certificatePem);
  const key = parsePrivateKey(privateKeyPem);
  if (key.type !== "private" || !cert.checkPrivateKey(key)) throw new AppError("BAD_REQUEST", "The private key does not match the certificate");

  const topic = topicFromCertificate(certificatePem);
  if (!topic?.startsWith(MDM_TOPIC_PREFIX)) {
    throw new AppError(
      "BAD_REQUEST",
      topic
        ? `This is not an MDM push certificate: its topic "${topic}" does not start with ${MDM_TOPIC_PREFIX}`
        : `This is not an MDM push certificate: its subject has no UID (the topic, ${MDM_TOPIC_PREFIX}…)`,
    );
  }

  const now = deps.clock.now();
  const notAfter = certificateNotAfter(certificatePem);
  if (notAfter.getTime() <= now.getTime()) {
    throw new AppError("BAD_REQUEST", `The certificate expired on ${notAfter.toISOString().slice(0, 10)}: renew it at identity.apple.com and upload the new one`);
  }
  const subject = subjectLine(cert);

  deps.db.transaction(
    (tx) => {
      const values = { certificatePem, privateKeyPem, subject, topic, notAfter, updatedAt: now };
      tx.insert(credentials)
        .values({ name: APNS_PUSH_CREDENTIAL, ...values, createdAt: now })
        .onConflictDoUpdate({ target: credentials.name, set: values })
        .run();
      recordAdminAction(tx, now, by, {
        action: "push_certificate.installed",
        target: { type: "push_certificate", id: topic, name: topic },
        summary: `Push certificate for ${topic} installed, expires ${notAfter.toISOString().slice(0, 10)}`,
        changes: { topic, subject, notAfter: notAfter.toISOString() },
      });
    },
    { behavior: "immediate" },
  );

  const previous = deps.push;
  deps.push = createApnsProvider({ certificatePem, privateKeyPem, log: deps.log });
  deps.log.info("push: APNs", { topic });
  try {
    await previous.close();
  } catch (e) {
    deps.log.warn("closing the previous push provider failed", { provider: previous.name, error: e });
  }
  return { topic, subject, notAfter, daysLeft: daysUntil(notAfter, now) };
}

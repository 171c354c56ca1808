"use client";

import { useState } from "react";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";

import { useTRPC } from "@/app/_trpc/client";
import { EditButton, EditFieldset } from "@/components/auth/edit-controls";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Card } from "@/components/ui/card";
import { formatDateTime } from "@/components/ui/format";
import { FieldHint, Label } from "@/components/ui/label";
import { Textarea } from "@/components/ui/textarea";
import type { AppRouter } from "@/server/trpc/root";

type PushCertificate = inferRouterOutputs<AppRouter>["system"]["pushCertificate"];

/** Renewal reminders start this many days before expiry. */
const WARN_DAYS = 30;

function expiryText(daysLeft: number): string {
  if (daysLeft < 0) return `expired ${-daysLeft} ${-daysLeft === 1 ? "day" : "days"} ago`;
  if (daysLeft === 0) return "expires today";
  return `${daysLeft} ${daysLeft === 1 ? "day" : "days"} left`;
}

function PemField({ id, label, hint, value, onChange, accept }: { id: string; label: string; hint: string; value: string; onChange: (v: string) => void; accept: string }) {
  return (
    <div>
      <div className="flex items-end justify-between gap-3">
        <Label htmlFor={id}>{label}</Label>
        <label className="cursor-pointer text-xs font-medium text-brand-700 hover:underline">
          Choose file…
          <input
            type="file"
            accept={accept}
            aria-label={`${label} file`}
            className="sr-only"
            onChange={(e) => {
              const file = e.target.files?.[0];
              if (file) void file.text().then(onChange);
              e.target.value = "";
            }}
          />
        </label>
      </div>
      <Textarea id={id} mono rows={5} className="mt-1" value={value} onChange={(e) => onChange(e.target.value)} placeholder={hint} spellCheck={false} />
    </div>
  );
}

export function PushCertificatePanel({ initial }: { initial: PushCertificate }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { data: cert } = useQuery(trpc.system.pushCertificate.queryOptions(undefined, { initialData: initial }));
  const [certificatePem, setCertificatePem] = useState("");
  const [privateKeyPem, setPrivateKeyPem] = useState("");
  const upload = useMutation(
    trpc.system.uploadPushCertificate.mutationOptions({
      onSuccess: () => {
        setCertificatePem("");
        setPrivateKeyPem("");
        void queryClient.invalidateQueries(trpc.system.pushCertificate.pathFilter());
      },
    }),
  );

  return (
    <div className="space-y-4">
      {cert && cert.daysLeft < 0 ? (
        <Alert tone="danger" role="alert" title="The push certificate has expired">
          Pomona cannot wake Macs through APNs. Renew the certificate at identity.apple.com with the same Apple ID (renew, do not create a new one, or every Mac must enroll again) and upload it below.
        </Alert>
      ) : cert && cert.daysLeft <= WARN_DAYS ? (
        <Alert tone="warning" role="alert" title={`The push certificate expires in ${cert.daysLeft} ${cert.daysLeft === 1 ? "day" : "days"}`}>
          Renew it at identity.apple.com with the same Apple ID before {formatDateTime(cert.notAfter)}, then upload the renewed certificate below.
        </Alert>
      ) : null}

      <Card>
        {cert ? (
          <dl className="grid sm:grid-cols-2 [&>div]:border-b [&>div]:border-line">
            <div className="min-w-0 px-5 py-3 sm:col-span-2">
              <dt className="text-xs font-medium tracking-wide text-muted uppercase">Topic</dt>
              <dd className="mt-0.5 font-mono text-xs break-all">{cert.topic}</dd>
            </div>
            <div className="min-w-0 px-5 py-3 sm:col-span-2">
              <dt className="text-xs font-medium tracking-wide text-muted uppercase">Subject</dt>
              <dd className="mt-0.5 text-sm break-all">{cert.subject}</dd>
            </div>
            <div className="px-5 py-3">
              <dt className="text-xs font-medium tracking-wide text-muted uppercase">Expires</dt>
              <dd className="mt-0.5 text-sm">
                <time dateTime={cert.notAfter} suppressHydrationWarning>
                  {formatDateTime(cert.notAfter)}
                </time>{" "}
                <span className="text-muted">({expiryText(cert.daysLeft)})</span>
              </dd>
            </div>
            <div className="px-5 py-3">
              <dt className="text-xs font-medium tracking-wide text-muted uppercase">Status</dt>
              <dd className="mt-0.5">
                {cert.daysLeft < 0 ? <Badge tone="danger">Expired</Badge> : cert.daysLeft <= WARN_DAYS ? <Badge tone="warning">Renew soon</Badge> : <Badge tone="success">Valid</Badge>}
              </dd>
            </div>
          </dl>
        ) : (
          <div className="border-b border-line px-5 py-4 text-sm">
            <p className="font-medium">No push certificate installed</p>
            <p className="mt-1 text-muted">
              Real Macs are woken through Apple&apos;s push service (APNs) with an MDM push certificate from identity.apple.com. Until one is installed, only virtual Macs on this machine can be woken.
            </p>
          </div>
        )}

        <form
          aria-label="Upload push certificate"
          onSubmit={(e) => {
            e.preventDefault();
            upload.mutate({ certificatePem, privateKeyPem });
          }}
        >
          <EditFieldset className="space-y-4 p-5">
            <div>
              <h3 className="text-sm font-semibold">{cert ? "Replace with a renewed certificate" : "Upload a push certificate"}</h3>
              <FieldHint>The certificate must carry an MDM topic (com.apple.mgmt.…), match its private key and not be expired.</FieldHint>
            </div>
            <div className="grid gap-4 lg:grid-cols-2">
              <PemField id="push-certificate-pem" label="Certificate (PEM)" hint="-----BEGIN CERTIFICATE-----" value={certificatePem} onChange={setCertificatePem} accept=".pem,.crt,.cer" />
              <PemField id="push-private-key-pem" label="Private key (PEM)" hint="-----BEGIN PRIVATE KEY-----" value={privateKeyPem} onChange={setPrivateKeyPem} accept=".pem,.key" />
            </div>
            {upload.isError ? (
              <Alert tone="danger" role="alert">
                {upload.error.message}
              </Alert>
            ) : null}
            <div className="flex items-center justify-end gap-3">
              <p role="status" className="text-sm text-muted">
                {upload.data ? `Push certificate installed for ${upload.data.topic}` : null}
              </p>
              <EditButton type="submit" disabled={upload.isPending || certificatePem.trim() === "" || privateKeyPem.trim() === ""}>
                {upload.isPending ? "Uploading…" : cert ? "Replace certificate" : "Upload certificate"}
              </EditButton>
            </div>
          </EditFieldset>
        </form>
      </Card>
    </div>
  );
}

import type { Metadata } from "next";

import { Accounts } from "@/components/settings/accounts";
import { ApiTokens } from "@/components/settings/api-tokens";
import { EnrollmentTokens } from "@/components/settings/enrollment-tokens";
import { PushCertificatePanel } from "@/components/settings/push-certificate";
import { SettingsForm } from "@/components/settings/settings-form";
import { YourPassword } from "@/components/settings/your-password";
import { PageHeader } from "@/components/ui/card";
import { Section } from "@/components/ui/section";

import { api, wire } from "../../_trpc/server";

export const metadata: Metadata = { title: "Settings" };

export default async function SettingsPage() {
  const [settings, tokens, pushCertificate, apiTokens, accounts] = await Promise.all([
    api().system.settings(),
    api().enrollment.listTokens(),
    api().system.pushCertificate(),
    api().system.apiTokens(),
    api().users.list(),
  ]);
  return (
    <>
      <PageHeader title="Settings" description="How App Installers pace their work, how Macs enroll, how Pomona wakes them, and who can sign in." />
      <div className="max-w-4xl space-y-10">
        <Section title="App Installer timing" description="The durations of the install flow. Changes apply from the next scheduler pass.">
          <SettingsForm initial={wire(settings)} />
        </Section>
        <Section title="Enrollment tokens" description="A Mac enrolls by opening an enrollment link. Revoke a token to stop new enrollments with it.">
          <EnrollmentTokens initial={wire(tokens)} />
        </Section>
        <Section title="API tokens" description="For scripts and automation: sent as a Bearer token to the tRPC API. Each carries a role.">
          <ApiTokens initial={wire(apiTokens)} />
        </Section>
        <Section title="APNs push certificate" description="Lets Pomona wake real Macs so they pick up their commands within seconds.">
          <PushCertificatePanel initial={wire(pushCertificate)} />
        </Section>
        <Section title="Accounts" description="People who can sign in. Admins change things; auditors see everything and change nothing. A role change ends that person's sessions.">
          <Accounts initial={wire(accounts)} />
        </Section>
        <Section title="Your password" description="Changing it signs you out everywhere else.">
          <YourPassword />
        </Section>
      </div>
    </>
  );
}

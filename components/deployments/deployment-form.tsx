"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useId, useMemo, useState } from "react";

import { keepPreviousData, skipToken, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { useTRPC } from "@/app/_trpc/client";
import { EditButton } from "@/components/auth/edit-controls";
import { useCanEdit } from "@/components/auth/role-context";
import { Alert } from "@/components/ui/alert";
import { buttonVariants } from "@/components/ui/button";
import { Card } from "@/components/ui/card";

import { DeploymentPreview } from "./deployment-preview";
import { DISTRIBUTION_LABELS, type CatalogTitleOption, type DistributionMethod, type SmartGroupOption, type UpdateMethod } from "./types";
import { CheckboxField, Field, RadioCard, SelectInput, TextArea, TextInput } from "./ui/field";

export type DeploymentFormValues = {
  name: string;
  titleId: number | null;
  smartGroupId: number | null;
  distributionMethod: DistributionMethod;
  updateMethod: UpdateMethod;
  version: string;
  installSupportingProfiles: boolean;
  enabled: boolean;
  category: string;
  description: string;
};

const ARCH_LABEL: Record<string, string> = { arm64: "Apple silicon", x86_64: "Intel" };

function describeArchitectures(list: string[]) {
  return list.length > 1 ? "Universal" : `${ARCH_LABEL[list[0] ?? ""] ?? list[0]} only`;
}

function useDebounced<T>(value: T, delayMs: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), delayMs);
    return () => clearTimeout(timer);
  }, [value, delayMs]);
  return debounced;
}

export function DeploymentForm({
  mode,
  deploymentId,
  titles,
  groups,
  initial,
}: {
  mode: "create" | "edit";
  deploymentId?: number;
  titles: CatalogTitleOption[];
  groups: SmartGroupOption[];
  initial: DeploymentFormValues;
}) {
  const canEdit = useCanEdit();
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const id = useId();
  const [v, setV] = useState<DeploymentFormValues>(initial);
  const [nameTouched, setNameTouched] = useState(mode === "edit" || initial.name !== "");
  const set = <K extends keyof DeploymentFormValues>(key: K, value: DeploymentFormValues[K]) => setV((prev) => ({ ...prev, [key]: value }));

  const title = titles.find((t) => t.id === v.titleId);
  const profileCount = title?.supportingProfileCount ?? 0;
  const selfService = v.distributionMethod === "self_service";
  const manual = v.updateMethod === "manual";

  const chooseTitle = (titleId: number | null) => {
    const next = titles.find((t) => t.id === titleId);
    setV((prev) => ({
      ...prev,
      titleId,
      version: prev.updateMethod === "manual" ? (next?.versions[0]?.version ?? "") : "",
      installSupportingProfiles: prev.installSupportingProfiles && (next?.supportingProfileCount ?? 0) > 0,
      name: nameTouched ? prev.name : (next?.name ?? ""),
    }));
  };

  const chooseUpdateMethod = (updateMethod: UpdateMethod) =>
    setV((prev) => ({ ...prev, updateMethod, version: updateMethod === "manual" ? prev.version || (title?.versions[0]?.version ?? "") : "" }));

  const fields = useMemo(() => {
    if (v.titleId === null || v.smartGroupId === null || (v.updateMethod === "manual" && !v.version)) return null;
    return {
      name: v.name.trim(),
      titleId: v.titleId,
      smartGroupId: v.smartGroupId,
      distributionMethod: v.distributionMethod,
      updateMethod: v.updateMethod,
      version: v.updateMethod === "manual" ? v.version : null,
      installSupportingProfiles: v.installSupportingProfiles,
      enabled: v.enabled,
      selfService: v.distributionMethod === "self_service" ? { category: v.category.trim() || undefined, description: v.description.trim() || undefined } : undefined,
    };
  }, [v]);

  const previewInput = useDebounced(fields, 400);
  const previewFields = previewInput ? { ...previewInput, name: previewInput.name || "Preview" } : null;
  const createPreview = useQuery({
    ...trpc.deployments.preview.queryOptions(mode === "create" && previewFields ? previewFields : skipToken),
    placeholderData: keepPreviousData,
  });
  const editPreview = useQuery({
    ...trpc.deployments.previewUpdate.queryOptions(mode === "edit" && previewFields && deploymentId ? { ...previewFields, id: deploymentId } : skipToken),
    placeholderData: keepPreviousData,
  });
  const preview = mode === "create" ? createPreview : editPreview;

  const onSaved = async (savedId: number) => {
    await queryClient.invalidateQueries(trpc.deployments.pathFilter());
    router.push(`/deployments/${savedId}`);
    router.refresh();
  };
  const create = useMutation(trpc.deployments.create.mutationOptions({ onSuccess: (r) => onSaved(r.id) }));
  const update = useMutation(trpc.deployments.update.mutationOptions({ onSuccess: (r) => onSaved(r.id) }));
  const saving = create.isPending || update.isPending;
  const saveError = create.error ?? update.error;

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    if (!fields || !fields.name) return;
    if (mode === "edit" && deploymentId) update.mutate({ ...fields, id: deploymentId });
    else create.mutate(fields);
  };

  const missing = [!v.name.trim() && "a name", v.titleId === null && "a title", v.smartGroupId === null && "a smart group", manual && !v.version && "a version"].filter(Boolean);

  return (
    <form onSubmit={submit} className="grid items-start gap-6 xl:grid-cols-[minmax(0,1fr)_minmax(0,26rem)]" aria-label={mode === "create" ? "New App Installer" : "Edit App Installer"}>
      <div className="space-y-6">
        {canEdit ? null : (
          <Alert tone="info" role="status" title="Read-only">
            Your role is auditor: you can try settings and see the preview, but not save.
          </Alert>
        )}
        <Card className="space-y-5 p-5">
          <h2 className="text-base font-semibold">What and where</h2>
          <Field label="Title" htmlFor={`${id}-title`} hint={title ? `${title.publisher} · ${title.bundleId} · ${title.category}` : "The catalog title to deploy."}>
            <SelectInput id={`${id}-title`} value={v.titleId ?? ""} onChange={(e) => chooseTitle(e.target.value ? Number(e.target.value) : null)} required>
              <option value="">Choose a title…</option>
              {titles.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                </option>
              ))}
            </SelectInput>
          </Field>
          <Field label="Name" htmlFor={`${id}-name`} hint="How this App Installer appears to staff.">
            <TextInput
              id={`${id}-name`}
              value={v.name}
              maxLength={200}
              required
              onChange={(e) => {
                setNameTouched(true);
                set("name", e.target.value);
              }}
            />
          </Field>
          <Field
            label="Smart group"
            htmlFor={`${id}-group`}
            hint={
              groups.length === 0 ? (
                <>
                  No smart groups yet: <Link href="/smart-groups" className="text-brand-700 underline">create one</Link> first.
                </>
              ) : (
                "The computers this App Installer targets."
              )
            }
          >
            <SelectInput id={`${id}-group`} value={v.smartGroupId ?? ""} onChange={(e) => set("smartGroupId", e.target.value ? Number(e.target.value) : null)} required>
              <option value="">Choose a smart group…</option>
              {groups.map((g) => (
                <option key={g.id} value={g.id}>
                  {g.name} ({g.memberCount} {g.memberCount === 1 ? "computer" : "computers"})
                </option>
              ))}
            </SelectInput>
          </Field>
        </Card>

        <Card className="space-y-5 p-5">
          <fieldset className="space-y-2">
            <legend className="mb-2 text-base font-semibold">Distribution method</legend>
            <div className="grid gap-2 sm:grid-cols-2">
              <RadioCard
                name={`${id}-distribution`}
                label={DISTRIBUTION_LABELS.install_automatically}
                hint="Installs on every computer in scope, without asking."
                checked={v.distributionMethod === "install_automatically"}
                onChange={() => set("distributionMethod", "install_automatically")}
              />
              <RadioCard
                name={`${id}-distribution`}
                label={DISTRIBUTION_LABELS.self_service}
                hint="Users install it from their Self Service page."
                checked={v.distributionMethod === "self_service"}
                onChange={() => set("distributionMethod", "self_service")}
              />
            </div>
          </fieldset>

          {selfService ? (
            <div className="grid gap-4 rounded-md border border-line bg-canvas/60 p-4">
              <Field label="Self Service category" htmlFor={`${id}-category`} hint="Groups titles on the user's Self Service page.">
                <TextInput id={`${id}-category`} value={v.category} maxLength={100} placeholder={title?.category ?? "Productivity"} onChange={(e) => set("category", e.target.value)} />
              </Field>
              <Field label="Self Service description" htmlFor={`${id}-description`}>
                <TextArea id={`${id}-description`} value={v.description} maxLength={4000} rows={3} onChange={(e) => set("description", e.target.value)} />
              </Field>
            </div>
          ) : null}

          <fieldset className="space-y-2">
            <legend className="mb-2 text-base font-semibold">Update method</legend>
            <div className="grid gap-2 sm:grid-cols-2">
              <RadioCard
                name={`${id}-update`}
                label="Automatic"
                hint="Always the newest catalog version; updates follow new releases."
                checked={v.updateMethod === "automatic"}
                onChange={() => chooseUpdateMethod("automatic")}
              />
              <RadioCard name={`${id}-update`} label="Manual" hint="Stays on the version you pick, older ones included." checked={manual} onChange={() => chooseUpdateMethod("manual")} />
            </div>
          </fieldset>

          {manual ? (
            <Field label="Version" htmlFor={`${id}-version`} hint="Computers stay on this version until you change it.">
              <SelectInput id={`${id}-version`} value={v.version} onChange={(e) => set("version", e.target.value)} required disabled={!title}>
                {!title ? <option value="">Choose a title first</option> : null}
                {title?.versions.map((ver, i) => (
                  <option key={ver.id} value={ver.version}>
                    {ver.shortVersion ?? ver.version}
                    {i === 0 ? " (newest)" : ""} — macOS {ver.minimumOsVersion} or later · {describeArchitectures(ver.architectures)}
                  </option>
                ))}
              </SelectInput>
            </Field>
          ) : null}

          <CheckboxField
            label="Install supporting configuration profiles"
            hint={
              !title
                ? "Choose a title to see its profiles."
                : profileCount === 0
                  ? `${title.name} has no supporting configuration profiles.`
                  : `${title.name} has ${profileCount} supporting configuration ${profileCount === 1 ? "profile" : "profiles"}, installed before the app.`
            }
            checked={v.installSupportingProfiles}
            disabled={profileCount === 0}
            onChange={(e) => set("installSupportingProfiles", e.target.checked)}
          />
          <CheckboxField label="Enabled" hint="A disabled App Installer sends nothing new to any computer." checked={v.enabled} onChange={(e) => set("enabled", e.target.checked)} />
        </Card>

        <div className="flex flex-wrap items-center gap-3">
          <EditButton type="submit" disabled={saving || missing.length > 0}>
            {saving ? "Saving…" : mode === "create" ? "Create App Installer" : "Save changes"}
          </EditButton>
          <Link href={mode === "edit" && deploymentId ? `/deployments/${deploymentId}` : "/deployments"} className={buttonVariants({ variant: "ghost" })}>
            Cancel
          </Link>
          {missing.length > 0 ? <p className="text-sm text-muted">Still needed: {missing.join(", ")}.</p> : null}
        </div>
        {saveError ? (
          <p role="alert" className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
            {saveError.message}
          </p>
        ) : null}
      </div>

      <DeploymentPreview
        result={preview.data}
        loading={preview.isFetching}
        error={preview.error?.message ?? null}
        ready={fields !== null}
        distributionMethod={v.distributionMethod}
        stale={previewInput !== fields}
      />
    </form>
  );
}

"use client";

import { useRouter } from "next/navigation";

import { useMutation } from "@tanstack/react-query";

import { useTRPC } from "@/app/_trpc/client";
import { EditButton } from "@/components/auth/edit-controls";

export function SyncCatalogButton() {
  const trpc = useTRPC();
  const router = useRouter();
  const sync = useMutation(trpc.catalog.sync.mutationOptions({ onSuccess: () => router.refresh() }));
  const report = sync.data;
  return (
    <div className="flex items-center gap-3">
      <p role="status" className="text-sm text-muted">
        {sync.isError
          ? sync.error.message
          : report
            ? report.changed
              ? `Synced: ${report.titlesAdded.length} titles and ${report.versionsAdded.length} versions added`
              : "Catalog is up to date"
            : null}
      </p>
      <EditButton variant="secondary" onClick={() => sync.mutate()} disabled={sync.isPending}>
        {sync.isPending ? "Syncing…" : "Sync catalog"}
      </EditButton>
    </div>
  );
}

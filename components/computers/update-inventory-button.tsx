"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";

import { useTRPC } from "@/app/_trpc/client";
import { EditButton } from "@/components/auth/edit-controls";

export function UpdateInventoryButton({ computerId, enrolled }: { computerId: number; enrolled: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const update = useMutation(
    trpc.computers.updateInventory.mutationOptions({
      onSettled: () => queryClient.invalidateQueries(trpc.computers.pathFilter()),
    }),
  );
  return (
    <div className="flex items-center gap-3">
      <p role="status" className="max-w-xs text-right text-sm text-muted">
        {update.isError
          ? update.error.message
          : update.data
            ? `Inventory requested${update.data.pushed ? ": the Mac was woken" : ": it runs at the Mac's next check-in"}`
            : enrolled
              ? null
              : "Not enrolled: no commands can be sent"}
      </p>
      <EditButton onClick={() => update.mutate({ id: computerId })} disabled={!enrolled || update.isPending}>
        {update.isPending ? "Requesting…" : "Update inventory"}
      </EditButton>
    </div>
  );
}

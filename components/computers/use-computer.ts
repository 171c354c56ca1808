"use client";

import { useQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";

import { useTRPC } from "@/app/_trpc/client";
import type { AppRouter } from "@/server/trpc/root";

export type ComputerDetail = inferRouterOutputs<AppRouter>["computers"]["get"];
export type ComputerHistory = inferRouterOutputs<AppRouter>["computers"]["history"];
export type HistoryCommand = ComputerHistory["commands"][number];
export type HistoryEvent = ComputerHistory["events"][number];

/** The computer page's live sections refresh themselves while work is in progress. */
export const LIVE_REFRESH_MS = 5000;

export function useComputer(id: number, initialData: ComputerDetail) {
  const trpc = useTRPC();
  return useQuery(trpc.computers.get.queryOptions({ id }, { initialData, refetchInterval: LIVE_REFRESH_MS }));
}

export function useComputerHistory(id: number, initialData: ComputerHistory) {
  const trpc = useTRPC();
  return useQuery(trpc.computers.history.queryOptions({ id }, { initialData, refetchInterval: LIVE_REFRESH_MS }));
}

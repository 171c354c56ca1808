"use client";

import { useState } from "react";

import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, EmptyState } from "@/components/ui/card";
import { LocalTime } from "@/components/ui/format";
import { Section } from "@/components/ui/section";

import { useComputerHistory, type ComputerHistory, type HistoryEvent } from "./use-computer";

const CATEGORY: Record<HistoryEvent["category"], { label: string; tone: "info" | "neutral" | "brand" | "danger" | "warning" }> = {
  status: { label: "Status", tone: "info" },
  device: { label: "Device", tone: "neutral" },
  admin: { label: "Admin", tone: "brand" },
  security: { label: "Security", tone: "danger" },
  system: { label: "System", tone: "warning" },
};

const PAGE = 30;

export function EventTimeline({ computerId, initial }: { computerId: number; initial: ComputerHistory }) {
  const { data } = useComputerHistory(computerId, initial);
  const [limit, setLimit] = useState(PAGE);
  const events = data.events;
  return (
    <Section title="Event timeline" description="Status changes, device traffic and admin actions, newest first.">
      {events.length === 0 ? (
        <EmptyState title="No events yet" />
      ) : (
        <Card>
          <ol aria-label="Event timeline" className="divide-y divide-line">
            {events.slice(0, limit).map((e) => {
              const meta = CATEGORY[e.category];
              return (
                <li key={e.id} className="flex gap-3 px-4 py-2.5 text-sm">
                  <div className="w-36 shrink-0 text-xs whitespace-nowrap text-muted">
                    <LocalTime value={e.at} />
                  </div>
                  <div className="min-w-0 flex-1">
                    <p className="break-words">{e.message}</p>
                    <p className="mt-0.5 flex items-center gap-2 text-xs text-muted">
                      <Badge tone={meta.tone}>{meta.label}</Badge>
                      {e.actor !== "system" && e.actor !== "device" ? <span>by {e.actor}</span> : null}
                    </p>
                  </div>
                </li>
              );
            })}
          </ol>
          {events.length > limit ? (
            <div className="border-t border-line px-4 py-2">
              <Button variant="ghost" size="sm" onClick={() => setLimit((l) => l + PAGE)}>
                Show {Math.min(PAGE, events.length - limit)} more events
              </Button>
            </div>
          ) : null}
        </Card>
      )}
    </Section>
  );
}

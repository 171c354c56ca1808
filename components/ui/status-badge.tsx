import { Badge } from "./badge";

/** DESIGN §3.1 statuses with their exact labels, and the tone each shows in. The one map the UI uses. */
export const TARGET_STATUS_META = {
  in_progress: { label: "In progress", tone: "info" },
  self_service_available: { label: "Available for install in Self Service", tone: "brand" },
  installed: { label: "Installed", tone: "success" },
  unqualified: { label: "Unqualified", tone: "neutral" },
  failed: { label: "Failed", tone: "danger" },
} as const;

export type TargetStatusValue = keyof typeof TARGET_STATUS_META;
export const TARGET_STATUS_ORDER: TargetStatusValue[] = ["installed", "in_progress", "self_service_available", "unqualified", "failed"];

/** Phases as staff read them beside "In progress". */
export const TARGET_PHASE_LABELS: Record<string, string> = {
  waiting_for_inventory: "Waiting for inventory",
  waiting_for_device_information: "Waiting for device information",
  waiting_for_device: "Waiting for the device",
  waiting_for_install_slot: "Waiting for another install",
  profiles_sent: "Profiles sent",
  install_sent: "Install sent",
  not_now: "Not now",
  acknowledged: "Acknowledged",
  verifying: "Verifying",
  waiting_for_next_attempt: "Waiting for next attempt",
  waiting_for_user: "Waiting for the user",
  done: "Done",
};

/** Command statuses of the management history (DESIGN §4.2). */
export const COMMAND_STATUS_META = {
  queued: { label: "Pending", tone: "neutral" },
  sent: { label: "Sent", tone: "info" },
  acknowledged: { label: "Acknowledged", tone: "success" },
  error: { label: "Error", tone: "danger" },
  command_format_error: { label: "Format error", tone: "danger" },
  not_now: { label: "Not Now", tone: "warning" },
  canceled: { label: "Canceled", tone: "neutral" },
} as const;

export function TargetStatusBadge({ status }: { status: TargetStatusValue }) {
  const meta = TARGET_STATUS_META[status];
  return <Badge tone={meta.tone}>{meta.label}</Badge>;
}

export function CommandStatusBadge({ status }: { status: keyof typeof COMMAND_STATUS_META }) {
  const meta = COMMAND_STATUS_META[status];
  return <Badge tone={meta.tone}>{meta.label}</Badge>;
}

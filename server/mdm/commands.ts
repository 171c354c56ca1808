// The wire form of a queued command: the plist a Mac receives (mdm-protocol.md §3.3).
import { isDataValue, type CommandBody } from "@/server/queue/commands";
import { commandBody } from "@/server/queue/queue";
import type { Command } from "@/db/schema";

import { encodePlist, type PlistInput } from "./plist";

/** Turns the queue's JSON body into plist input: `{ $data: base64 }` becomes bytes (<data>). */
function toPlistInput(value: unknown): PlistInput {
  if (isDataValue(value)) return Buffer.from(value.$data, "base64");
  if (Array.isArray(value)) return value.map(toPlistInput);
  if (value !== null && typeof value === "object") {
    const out: Record<string, PlistInput> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toPlistInput(v);
    return out;
  }
  return value as PlistInput;
}

/** `{ CommandUUID, Command: { RequestType, … } }` as XML. */
export function encodeCommand(uuid: string, body: CommandBody): string {
  return encodePlist({ CommandUUID: uuid, Command: toPlistInput(body) });
}

export function encodeQueuedCommand(command: Pick<Command, "uuid" | "payload">): string {
  return encodeCommand(command.uuid, commandBody(command));
}

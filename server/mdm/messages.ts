// Typed MDM messages: plist → zod → a union discriminated on MessageType (check-ins) or Status (reports).
// Wire types keep Apple's key spelling (apple/device-management mdm/checkin/*.yaml, mdm-protocol.md §2–3).
import { z } from "zod";

import { decodePlist, PlistError } from "./plist";

const str = z.string();
const udid = z.string().min(1, "UDID is empty").max(128, "UDID is too long");

const ZAuthenticate = z.looseObject({
  MessageType: z.literal("Authenticate"),
  Topic: str,
  UDID: udid,
  DeviceName: str.optional(),
  Model: str.optional(),
  ModelName: str.optional(),
  ProductName: str.optional(),
  SerialNumber: str.optional(),
  OSVersion: str.optional(),
  BuildVersion: str.optional(),
});

const ZTokenUpdate = z.looseObject({
  MessageType: z.literal("TokenUpdate"),
  Topic: str,
  UDID: udid,
  Token: str.min(1, "Token is empty"), // base64 (the codec normalises <data>)
  PushMagic: str.min(1, "PushMagic is empty"),
  AwaitingConfiguration: z.boolean().optional(),
  UserID: str.optional(),
  UserShortName: str.optional(),
  UserLongName: str.optional(),
});

const ZCheckOut = z.looseObject({ MessageType: z.literal("CheckOut"), Topic: str, UDID: udid });
const ZUserAuthenticate = z.looseObject({ MessageType: z.literal("UserAuthenticate"), UDID: udid, UserID: str.optional() });
const ZDeclarativeManagement = z.looseObject({ MessageType: z.literal("DeclarativeManagement"), UDID: udid, Endpoint: str.optional() });
const ZGetBootstrapToken = z.looseObject({ MessageType: z.literal("GetBootstrapToken"), UDID: udid });
const ZSetBootstrapToken = z.looseObject({ MessageType: z.literal("SetBootstrapToken"), UDID: udid, BootstrapToken: str.optional() });
const ZGetToken = z.looseObject({ MessageType: z.literal("GetToken"), UDID: udid, TokenServiceType: str.optional() });

const ZCheckin = z.discriminatedUnion("MessageType", [
  ZAuthenticate,
  ZTokenUpdate,
  ZCheckOut,
  ZUserAuthenticate,
  ZDeclarativeManagement,
  ZGetBootstrapToken,
  ZSetBootstrapToken,
  ZGetToken,
]);

export type CheckinMessage = z.infer<typeof ZCheckin>;
export type AuthenticateMessage = z.infer<typeof ZAuthenticate>;
export type TokenUpdateMessage = z.infer<typeof ZTokenUpdate>;
export const CHECKIN_MESSAGE_TYPES = ZCheckin.options.map((o) => o.shape.MessageType.value);

export const ZErrorChainItem = z.looseObject({
  ErrorCode: z.number().optional(),
  ErrorDomain: str.optional(),
  LocalizedDescription: str.optional(),
  USEnglishDescription: str.optional(),
});
export type ErrorChainItem = z.infer<typeof ZErrorChainItem>;

/** DeviceInformation's answer: the keys Pomona reads (others are kept in the raw report). */
export const ZQueryResponses = z.looseObject({
  DeviceName: str.optional(),
  OSVersion: str.optional(),
  BuildVersion: str.optional(),
  Model: str.optional(),
  ModelName: str.optional(),
  ProductName: str.optional(),
  SerialNumber: str.optional(),
  IsAppleSilicon: z.boolean().optional(),
});
export type QueryResponses = z.infer<typeof ZQueryResponses>;

export const ZInstalledApplication = z.looseObject({
  Identifier: str.optional(),
  Name: str.optional(),
  Version: str.optional(),
  ShortVersion: str.optional(),
  BundleSize: z.number().optional(),
  Installing: z.boolean().optional(),
});
export type InstalledApplication = z.infer<typeof ZInstalledApplication>;

export const REPORT_STATUSES = ["Idle", "Acknowledged", "Error", "CommandFormatError", "NotNow"] as const;
export type ReportStatus = (typeof REPORT_STATUSES)[number];

const ZReport = z
  .looseObject({
    Status: z.enum(REPORT_STATUSES, { message: `Status must be one of ${REPORT_STATUSES.join(", ")}` }),
    UDID: udid,
    CommandUUID: str.min(1).max(128).optional(),
    ErrorChain: z.array(ZErrorChainItem).optional(),
    UserID: str.optional(),
    QueryResponses: ZQueryResponses.optional(),
    InstalledApplicationList: z.array(ZInstalledApplication).optional(),
  })
  .refine((r) => r.Status === "Idle" || r.CommandUUID !== undefined, { message: "CommandUUID is required unless Status is Idle", path: ["CommandUUID"] });

export type CommandReport = z.infer<typeof ZReport>;

export type Decoded<T> = { ok: true; message: T; raw: string } | { ok: false; reason: string };

function valueAt(value: unknown, path: PropertyKey[]): unknown {
  return path.reduce<unknown>((v, k) => (v !== null && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[k] : undefined), value);
}

function describe(error: z.ZodError, value: unknown): string {
  const issue = error.issues[0];
  if (!issue) return "invalid message";
  const where = issue.path.join(".");
  if (issue.path.length > 0 && issue.code !== "custom" && valueAt(value, issue.path) === undefined) return `missing key ${where}`;
  if (issue.code === "invalid_union" && where === "MessageType") return "unknown MessageType";
  return where ? `${where}: ${issue.message}` : issue.message;
}

function decodeWith<T>(schema: z.ZodType<T>, text: string, what: string): Decoded<T> {
  let value: unknown;
  try {
    value = decodePlist(text);
  } catch (e) {
    if (e instanceof PlistError) return { ok: false, reason: e.message };
    throw new Error("decoding plist", { cause: e });
  }
  if (value === null || typeof value !== "object" || Array.isArray(value) || value instanceof Date) return { ok: false, reason: `${what} must be a plist dictionary` };
  const result = schema.safeParse(value);
  if (!result.success) return { ok: false, reason: `invalid ${what}: ${describe(result.error, value)}` };
  return { ok: true, message: result.data, raw: text };
}

/** Decodes a check-in body (Content-Type application/x-apple-aspen-mdm-checkin). */
export function decodeCheckin(text: string): Decoded<CheckinMessage> {
  const decoded = decodeWith(ZCheckin, text, "check-in");
  if (!decoded.ok && /MessageType/.test(decoded.reason)) {
    // Name the offending value when it is a string, so the one-line reason is actionable.
    const type = /<key>MessageType<\/key>\s*<string>([^<]{0,64})<\/string>/.exec(text)?.[1];
    if (type !== undefined) return { ok: false, reason: `invalid check-in: unknown MessageType ${JSON.stringify(type)}` };
  }
  return decoded;
}

/** Decodes a command report (any other Content-Type on /mdm). */
export function decodeReport(text: string): Decoded<CommandReport> {
  return decodeWith(ZReport, text, "command report");
}

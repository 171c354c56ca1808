// PUT /mdm: check-ins and command reports on one URL (mdm-protocol.md §2–3, DESIGN §4.1), nanomdm's
// CheckinAndCommandHandler split. Order matters: size cap, then device signature (before any heavy
// parsing), then the codec, then identity binding, then state changes. Every refusal is a 400 with one
// line and changes nothing; never 401, which can make a Mac unenroll.
import type { Deps } from "@/server/deps";
import { nextCommand } from "@/server/queue/queue";
import { markForScheduledPass, pendingTitlesFor, runPendingScopesFor, runVerifyingSliceNow } from "@/server/services/engine-passes";
import {
  findComputerByUdid,
  findOtherComputerWithCertificate,
  isBoundIdentity,
  isPushable,
  recordAuthenticate,
  recordCheckOut,
  recordCommandReport,
  recordTokenUpdate,
  recordUnknownCommandReport,
  touchCheckin,
} from "@/server/services/devices";
import { deviceCa } from "@/server/services/pki";
import { pushComputers } from "@/server/services/push";
import { inCommitGroup } from "@/db/commit-group";
import type { Computer } from "@/db/schema";

import { encodeQueuedCommand } from "./commands";
import { verifyMdmSignature } from "./device-auth";
import type { MdmHttpResult } from "./http-result";
import { decodeCheckin, decodeReport, type CheckinMessage, type CommandReport } from "./messages";

/** DESIGN §4.1: bodies over 1 MiB are refused (checked while streaming by the HTTP adapter, and here). */
export const MAX_MDM_BODY_BYTES = 1024 * 1024;
export const CHECKIN_CONTENT_TYPE = "application/x-apple-aspen-mdm-checkin";

export type MdmRequest = { method: string; contentType: string; body: Buffer; signature?: string };

const refuse = (reason: string, status = 400): MdmHttpResult => ({ status, headers: { "content-type": "text/plain; charset=utf-8" }, body: `${reason}\n` });
const empty = (): MdmHttpResult => ({ status: 200 });
const plist = (body: string): MdmHttpResult => ({ status: 200, headers: { "content-type": "application/xml; charset=utf-8" }, body });

type Identity = { certificateSha256: string | null };

/** Handles one PUT /mdm. Never throws: an unexpected failure is logged and answered 500. */
export async function handleMdmRequest(deps: Deps, req: MdmRequest): Promise<MdmHttpResult> {
  if (req.method !== "PUT") return Object.assign(refuse("Method not allowed: Macs use PUT /mdm", 405), { headers: { "content-type": "text/plain; charset=utf-8", allow: "PUT" } });
  if (req.body.length > MAX_MDM_BODY_BYTES) return refuse(`body larger than ${MAX_MDM_BODY_BYTES} bytes`);
  try {
    let identity: Identity = { certificateSha256: null };
    if (deps.env.POMONA_DEVICE_AUTH !== "none") {
      const verified = await verifyMdmSignature(req.body, req.signature, deviceCa(deps).certificatePem, deps.clock.now(), (sha256) => isBoundIdentity(deps, sha256));
      if (!verified.ok) return refuse(verified.reason);
      identity = { certificateSha256: verified.certificateSha256 };
    }
    const text = req.body.toString("utf8");
    // The state changes share a commit with the other requests of this event-loop turn (db/commit-group.ts);
    // the answer waits for that commit, so a 200 still means everything the request changed is stored.
    if (req.contentType.toLowerCase().startsWith(CHECKIN_CONTENT_TYPE)) {
      const decoded = decodeCheckin(text);
      if (!decoded.ok) return refuse(decoded.reason);
      return await inCommitGroup(deps.db, () => handleCheckin(deps, decoded.message, identity));
    }
    const decoded = decodeReport(text);
    if (!decoded.ok) return refuse(decoded.reason);
    return await inCommitGroup(deps.db, () => handleReport(deps, decoded.message, decoded.raw, identity));
  } catch (e) {
    deps.log.error("PUT /mdm failed", { error: e, cause: (e as Error).cause });
    return refuse("internal error", 500);
  }
}

/** The computer this request speaks for, if its identity matches the one bound at Authenticate. */
function authorize(deps: Deps, udid: string, identity: Identity): { ok: true; computer: Computer } | { ok: false; result: MdmHttpResult } {
  const computer = findComputerByUdid(deps, udid);
  if (!computer) return { ok: false, result: refuse(`unknown device ${udid}: send Authenticate first`) };
  if (identity.certificateSha256 !== null && computer.identityCertSha256 !== identity.certificateSha256) {
    deps.log.warn("identity certificate does not match the device's enrollment", { udid });
    return { ok: false, result: refuse("identity certificate does not match the one this device enrolled with") };
  }
  return { ok: true, computer };
}

function handleCheckin(deps: Deps, msg: CheckinMessage, identity: Identity): MdmHttpResult {
  if (msg.MessageType === "Authenticate") {
    if (identity.certificateSha256 !== null) {
      const other = findOtherComputerWithCertificate(deps, identity.certificateSha256, msg.UDID);
      if (other !== undefined) return refuse("identity certificate already belongs to another device");
    }
    recordAuthenticate(deps, msg, identity.certificateSha256);
    deps.log.debug("Authenticate", { udid: msg.UDID });
    return empty();
  }

  const auth = authorize(deps, msg.UDID, identity);
  if (!auth.ok) return auth.result;
  const { computer } = auth;

  switch (msg.MessageType) {
    case "TokenUpdate": {
      const { computer: updated, firstOfEnrollment } = recordTokenUpdate(deps, computer, msg);
      // Wake the Mac for its first inventory; the answer to this request goes out first.
      if (firstOfEnrollment && isPushable(updated)) wake(deps, updated.id);
      return empty();
    }
    case "CheckOut":
      recordCheckOut(deps, computer);
      return empty();
    case "UserAuthenticate":
      // Pomona does not manage user channels: 410 is Apple's documented way to decline.
      touchCheckin(deps, computer);
      return refuse("user channels are not used by Pomona", 410);
    default:
      return refuse(`${msg.MessageType} is not supported by Pomona`);
  }
}

function handleReport(deps: Deps, report: CommandReport, raw: string, identity: Identity): MdmHttpResult {
  const auth = authorize(deps, report.UDID, identity);
  if (!auth.ok) return auth.result;
  const { computer } = auth;
  if (!computer.enrolled) return refuse("device is not enrolled: send TokenUpdate first");

  if (report.Status === "Idle" || report.CommandUUID === undefined) {
    // A poll: the check-in stamp, and most polls find an empty queue without another write.
    touchCheckin(deps, computer);
    // Pomona sends no commands on user channels.
    if (report.UserID !== undefined) return empty();
    return answerWithNext(deps, computer, false);
  }
  // An answer: all of it in the request's savepoint of its commit group (inCommitGroup, above), so an
  // error undoes the whole report; the steps' own transactions nest in it as savepoints. The report, the
  // slice a verifying answer runs and the command served next dirty many of the same pages (the computer's
  // row, its commands and their indexes), which three commits wrote to the WAL up to three times over.
  const { CommandUUID: commandUuid, Status: status } = report;
  const outcome = recordCommandReport(deps, computer, {
    commandUuid,
    status,
    errorChain: report.ErrorChain,
    raw,
    result: report.QueryResponses ? { QueryResponses: report.QueryResponses } : undefined,
    queryResponses: report.QueryResponses,
    installedApplications: report.InstalledApplicationList,
  });
  if (outcome.kind === "unknown") {
    recordUnknownCommandReport(deps, computer, commandUuid, status);
    return refuse(`CommandUUID ${commandUuid.slice(0, 64)} was never sent to this device`);
  }
  // A repeat of a report already recorded: 200, and nothing changes (not even what is sent next).
  if (outcome.kind === "duplicate") return empty();
  deps.log.debug("report", { udid: computer.udid, commandUuid, status });
  if (isVerifyingAnswer(outcome.command)) runVerifyingSlice(deps, computer.id, outcome.command.deploymentId);
  return answerWithNext(deps, computer, status === "NotNow");
}

function answerWithNext(deps: Deps, computer: Computer, afterNotNow: boolean): MdmHttpResult {
  // An App Installer changed and the pass behind the change has not reached this Mac yet: its targets are
  // stepped now, so what the change queues for it is what this request answers with.
  const pending = pendingTitlesFor(deps.db, computer.id);
  if (pending.length > 0) runSliceInRequest(deps, computer.id, "engine slice for a pending App Installer change failed; its pass will visit the computer", () => runPendingScopesFor(deps, computer.id, pending));
  const next = nextCommand(deps.db, computer.id, { afterNotNow }, deps.clock.now());
  return next ? plist(encodeQueuedCommand(next)) : empty();
}

/** An acknowledged InstalledApplicationList an App Installer's target asked for (its title only). */
function isVerifyingAnswer(command: { status: string; requestType: string; deploymentId: number | null }): command is { status: string; requestType: string; deploymentId: number } {
  return command.status === "acknowledged" && command.requestType === "InstalledApplicationList" && command.deploymentId !== null;
}

/**
 * The answer a target waited on moves it before the reply to this report is chosen, so the install its step
 * queues is sent now. The report is already stored: if this fails, the computer is marked for the
 * scheduler's next pass, which does the same work.
 */
function runVerifyingSlice(deps: Deps, computerId: number, deploymentId: number) {
  runSliceInRequest(deps, computerId, "engine slice after an InstalledApplicationList failed; the scheduler will retry", () => runVerifyingSliceNow(deps, computerId, deploymentId));
}

/**
 * Engine work inside a device's request, in a savepoint: a failure undoes that work alone, the request's own
 * writes are kept and the computer is marked for the scheduler's next pass.
 */
function runSliceInRequest(deps: Deps, computerId: number, failure: string, work: () => unknown) {
  try {
    deps.db.transaction(work);
  } catch (e) {
    // An error after which SQLite rolled back the whole transaction (a full disk, I/O): nothing is left to
    // keep, so the request fails and the Mac sends its report again.
    if (!deps.db.$client.inTransaction) throw e;
    deps.log.error(failure, { computerId, error: e });
    markForScheduledPass(deps.db, computerId);
  }
}

function wake(deps: Deps, computerId: number) {
  pushComputers(deps, [computerId]).catch((e: unknown) => deps.log.warn("push failed", { computerId, error: e }));
}

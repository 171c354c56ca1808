// Signed per-computer Self Service links (Step 5): the end user's page is reached without admin rights
// through /self-service/<computerId>?sig=<HMAC>, keyed by a secret created once per installation.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

import { eq } from "drizzle-orm";

import type { Deps } from "@/server/deps";
import { AppError } from "@/server/errors";
import { computers, settings } from "@/db/schema";

export const SELF_SERVICE_SECRET_KEY = "selfService.linkSecret";

type LinkDeps = Pick<Deps, "db" | "clock">;

/** The installation's link secret: 32 random bytes, created on first use (a concurrent creator's value wins). */
export function getSelfServiceLinkSecret(deps: LinkDeps): Buffer {
  const read = () => deps.db.select({ value: settings.value }).from(settings).where(eq(settings.key, SELF_SERVICE_SECRET_KEY)).get()?.value;
  let stored = read();
  if (stored === undefined) {
    deps.db
      .insert(settings)
      .values({ key: SELF_SERVICE_SECRET_KEY, value: randomBytes(32).toString("base64url"), updatedAt: deps.clock.now() })
      .onConflictDoNothing()
      .run();
    stored = read();
  }
  if (typeof stored !== "string" || Buffer.from(stored, "base64url").length < 32) throw new Error(`The ${SELF_SERVICE_SECRET_KEY} setting is not a 32-byte base64url secret`);
  return Buffer.from(stored, "base64url");
}

/** base64url(HMAC-SHA256(secret, "self-service:" + computerId)). */
export function selfServiceSignature(deps: LinkDeps, computerId: number): string {
  return createHmac("sha256", getSelfServiceLinkSecret(deps)).update(`self-service:${computerId}`).digest("base64url");
}

/** Whether `signature` is this computer's link signature, compared in constant time. */
export function verifySelfServiceSignature(deps: LinkDeps, computerId: number, signature: string): boolean {
  const expected = Buffer.from(selfServiceSignature(deps, computerId));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Throws FORBIDDEN unless `signature` opens this computer's Self Service page. */
export function assertSelfServiceSignature(deps: LinkDeps, computerId: number, signature: string): void {
  if (!verifySelfServiceSignature(deps, computerId, signature)) throw new AppError("FORBIDDEN", "This Self Service link is not valid for this computer");
}

/** The end user's Self Service page of one computer, signed: `${publicUrl}/self-service/<id>?sig=…`. */
export function selfServiceUrl(deps: LinkDeps & Pick<Deps, "publicUrl">, computerId: number): string {
  return `${deps.publicUrl}/self-service/${computerId}?sig=${selfServiceSignature(deps, computerId)}`;
}

/** The admin's `selfService.link`: the signed URL of an existing computer. */
export function getSelfServiceLink(deps: LinkDeps & Pick<Deps, "publicUrl">, computerId: number): { url: string } {
  findComputer(deps, computerId);
  return { url: selfServiceUrl(deps, computerId) };
}

/** What the Self Service page shows about the computer it serves: its id and name. */
export function getSelfServiceComputer(deps: Pick<Deps, "db">, computerId: number): { id: number; name: string } {
  return findComputer(deps, computerId);
}

function findComputer(deps: Pick<Deps, "db">, computerId: number) {
  const computer = deps.db.select({ id: computers.id, name: computers.name }).from(computers).where(eq(computers.id, computerId)).get();
  if (!computer) throw new AppError("NOT_FOUND", `No computer with id ${computerId}`);
  return computer;
}

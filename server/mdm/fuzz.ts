// Fuzzing PUT /mdm (reliability-security.md §5–6): mutated valid reports, random bytes, binary and OpenStep
// plists, entity declarations, deep nesting and prototype keys. Used by the test suite (a few thousand
// cases) and by `npm run fuzz` (100,000 or more). Every answer must be 200 or 400 — 410 only for the
// documented UserAuthenticate decline, never 401 or 5xx — with no throw and Object.prototype untouched.
import fs from "node:fs";
import path from "node:path";

import fc from "fast-check";

import type { Deps } from "@/server/deps";

import { CHECKIN_CONTENT_TYPE, handleMdmRequest } from "./endpoint";
import type { MdmHttpResult } from "./http-result";
import { encodePlist, type PlistInput } from "./plist";

export type FuzzCase = { contentType: string; body: Buffer; signature?: string };

const TESTDATA = path.join(import.meta.dirname, "testdata");

function fixtures(): Buffer[] {
  return fs
    .readdirSync(TESTDATA)
    .filter((f) => f.endsWith(".plist"))
    .sort()
    .map((f) => fs.readFileSync(path.join(TESTDATA, f)));
}

const CONTENT_TYPES = [CHECKIN_CONTENT_TYPE, "application/x-apple-aspen-mdm", "", "text/plain", "application/x-apple-aspen-mdm-checkin; charset=utf-8"];

/** Byte-level mutations of a valid body: flips, inserts, deletions, duplicated and truncated spans. */
function mutate(base: Buffer, edits: { at: number; kind: number; byte: number; len: number }[]): Buffer {
  let b = Buffer.from(base);
  for (const e of edits) {
    const at = b.length === 0 ? 0 : e.at % b.length;
    switch (e.kind % 5) {
      case 0:
        if (b.length) b[at] = e.byte;
        break;
      case 1:
        b = Buffer.concat([b.subarray(0, at), Buffer.from([e.byte]), b.subarray(at)]);
        break;
      case 2:
        b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + e.len))]);
        break;
      case 3:
        b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + e.len), b.subarray(at)]);
        break;
      case 4:
        b = b.subarray(0, at);
        break;
    }
  }
  return b;
}

const key = fc.oneof(
  fc.constantFrom("Status", "UDID", "CommandUUID", "MessageType", "Topic", "Token", "PushMagic", "ErrorChain", "QueryResponses", "InstalledApplicationList", "__proto__", "constructor", "prototype", "UserID"),
  fc.string({ maxLength: 12 }),
);
const scalar: fc.Arbitrary<PlistInput> = fc.oneof(
  fc.constantFrom("Idle", "Acknowledged", "Error", "NotNow", "CommandFormatError", "Authenticate", "TokenUpdate", "CheckOut", "UserAuthenticate", "FUZZ-MAC-0", "FUZZ-MAC-1"),
  fc.string({ maxLength: 40 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.uint8Array({ maxLength: 40 }),
);
const { tree } = fc.letrec<{ tree: PlistInput }>((tie) => ({
  tree: fc.oneof({ depthSize: "small", withCrossShrink: true }, scalar, fc.array(tie("tree"), { maxLength: 4 }), fc.dictionary(key, tie("tree"), { maxKeys: 6 })),
}));

/** A message shaped like a real one, with fields drawn to hit every branch of the endpoint. */
const structuredWith = (knownUuids: string[]) => fc
  .record({
    MessageType: fc.option(fc.constantFrom("Authenticate", "TokenUpdate", "CheckOut", "UserAuthenticate", "DeclarativeManagement", "Nope"), { nil: undefined }),
    Status: fc.option(fc.constantFrom("Idle", "Acknowledged", "Error", "NotNow", "CommandFormatError", "Bogus"), { nil: undefined }),
    UDID: fc.option(fc.constantFrom("FUZZ-MAC-0", "FUZZ-MAC-1", "UNKNOWN", ""), { nil: undefined }),
    CommandUUID: fc.option(knownUuids.length ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...knownUuids) }, { weight: 1, arbitrary: fc.uuid() }) : fc.uuid(), { nil: undefined }),
    Topic: fc.option(fc.constant("com.apple.mgmt.External.fuzz"), { nil: undefined }),
    Token: fc.option(fc.uint8Array({ minLength: 1, maxLength: 32 }), { nil: undefined }),
    PushMagic: fc.option(fc.string({ minLength: 1, maxLength: 20 }), { nil: undefined }),
    extra: fc.dictionary(key, tree, { maxKeys: 4 }),
  })
  .map(({ extra, ...fields }) => {
    const dict: Record<string, PlistInput> = {};
    for (const [k, v] of Object.entries(extra)) if (k !== "__proto__") dict[k] = v;
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) dict[k] = v;
    return Buffer.from(encodePlist(dict));
  });

const nested = fc.tuple(fc.integer({ min: 20, max: 80 }), fc.constantFrom("array", "dict")).map(([depth, tag]) => {
  const open = tag === "array" ? "<array>" : "<dict><key>k</key>";
  const close = tag === "array" ? "</array>" : "</dict>";
  return Buffer.from(`<?xml version="1.0"?><plist version="1.0"><dict><key>UDID</key><string>FUZZ-MAC-0</string><key>Status</key><string>Idle</string><key>X</key>${open.repeat(depth)}<string>x</string>${close.repeat(depth)}</dict></plist>`);
});

const hostile = fc.oneof(
  fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.concat([Buffer.from("bplist00"), Buffer.from(b)])),
  fc.string({ maxLength: 200 }).map((s) => Buffer.from(`{ MessageType = Authenticate; UDID = "${s}"; }`)),
  fc.string({ maxLength: 100 }).map((s) => Buffer.from(`<?xml version="1.0"?><!DOCTYPE plist [<!ENTITY x "${s}">]><plist version="1.0"><dict><key>UDID</key><string>&x;</string></dict></plist>`)),
  fc.constantFrom("__proto__", "constructor", "prototype").map((k) => Buffer.from(`<plist version="1.0"><dict><key>UDID</key><string>FUZZ-MAC-0</string><key>Status</key><string>Idle</string><key>${k}</key><dict><key>isAdmin</key><true/></dict></dict></plist>`)),
  fc.uint8Array({ maxLength: 2048 }).map((b) => Buffer.from(b)),
  nested,
);

/**
 * Every kind of input, with a content type and sometimes a garbage signature header. `knownUuids` are
 * commands out on the fuzz Macs, so reports about them reach the paths that record results.
 */
export function fuzzCases(knownUuids: string[] = []): fc.Arbitrary<FuzzCase> {
  const structured = structuredWith(knownUuids);
  const bases = fixtures();
  const edit = fc.record({ at: fc.nat(), kind: fc.nat(), byte: fc.integer({ min: 0, max: 255 }), len: fc.integer({ min: 1, max: 64 }) });
  const mutated = fc.tuple(fc.integer({ min: 0, max: bases.length - 1 }), fc.array(edit, { minLength: 1, maxLength: 6 })).map(([i, edits]) => mutate(bases[i]!, edits));
  const body = fc.oneof({ weight: 4, arbitrary: mutated }, { weight: 3, arbitrary: structured }, { weight: 2, arbitrary: hostile }, { weight: 1, arbitrary: fc.constantFrom(...bases) });
  return fc.record({
    contentType: fc.constantFrom(...CONTENT_TYPES),
    body,
    signature: fc.option(fc.oneof(fc.base64String({ maxLength: 200 }), fc.string({ maxLength: 50 })), { nil: undefined, freq: 4 }),
  });
}

export type FuzzVerdict = { ok: true } | { ok: false; problem: string };

/** One case against the endpoint: the answer must be a clean 200/400 (410 only for UserAuthenticate). */
export async function checkCase(deps: Deps, c: FuzzCase): Promise<FuzzVerdict> {
  let result: MdmHttpResult;
  try {
    result = await handleMdmRequest(deps, { method: "PUT", contentType: c.contentType, body: c.body, signature: c.signature });
  } catch (e) {
    return { ok: false, problem: `threw: ${(e as Error).message}` };
  }
  const polluted = Object.keys(Object.prototype).length > 0 || (({}) as Record<string, unknown>).isAdmin !== undefined;
  if (polluted) return { ok: false, problem: "Object.prototype was modified" };
  if (result.status === 200 || result.status === 400) return { ok: true };
  if (result.status === 410 && c.body.includes("UserAuthenticate")) return { ok: true };
  return { ok: false, problem: `answered ${result.status}: ${String(result.body).slice(0, 120)}` };
}

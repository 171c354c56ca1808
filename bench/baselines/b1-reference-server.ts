// B1: a minimal reference check-in server. Raw node:http + better-sqlite3 + plist, one IMMEDIATE transaction
// per report, no framework, on the same database snapshot. It does the same work per request as Pomona's
// PUT /mdm for the benchmark's reports (Idle, Acknowledged): verifies Mdm-Signature (CMS parsed with a tiny
// DER reader, messageDigest, RSA signature over the signed attributes, signer issued by the device CA,
// validity, client-auth EKU, identity hash bound to the UDID), parses the plist, records the report, applies
// DeviceInformation answers, dequeues the next command and replies with it. Not handled (not in the
// workload): check-ins, NotNow retry order, the install slot, events.
import { createHash, verify, X509Certificate } from "node:crypto";
import http from "node:http";

import Database from "better-sqlite3";
// eslint-disable-next-line import-x/no-restricted-paths -- the baselines use the plist package directly: it is the reference parser.
import { parse } from "plist";

import { derBytes, derChildren, derContent, readDer, type DerNode } from "../../simulator/der";
import { announceReady, serveIpc } from "../ipc";

const file = process.argv[process.argv.indexOf("--db") + 1];
if (!file) throw new Error("--db <file> is required");
const db = new Database(file, { timeout: 5000 });
db.pragma("journal_mode = WAL");
db.pragma("synchronous = NORMAL");
db.pragma("foreign_keys = ON");

const ca = new X509Certificate((db.prepare("select certificate_pem as pem from credentials where name = 'device_ca'").get() as { pem: string }).pem);
const MESSAGE_DIGEST = Buffer.from("06092a864886f70d010904", "hex"); // OID 1.2.840.113549.1.9.4
const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest();

type Verified = { ok: true; sha: string } | { ok: false; reason: string };
function verifySignature(body: Buffer, header: string | undefined, now: number): Verified {
  if (!header) return { ok: false, reason: "missing Mdm-Signature" };
  try {
    const der = Buffer.from(header, "base64");
    const kids = (n: DerNode) => derChildren(der, n);
    const signedData = kids(kids(readDer(der))[1]!)[0]!;
    const fields = kids(signedData);
    const certDer = derBytes(der, kids(fields.find((f) => f.tag === 0xa0)!)[0]!);
    const signer = kids(kids(fields[fields.length - 1]!)[0]!);
    const attrs = signer.find((f) => f.tag === 0xa0)!;
    let digest: Buffer | undefined;
    for (const attr of kids(attrs)) {
      const [oid, values] = kids(attr);
      if (oid && values && derBytes(der, oid).equals(MESSAGE_DIGEST)) digest = derContent(der, kids(values)[0]!);
    }
    if (!digest?.equals(sha256(body))) return { ok: false, reason: "digest mismatch" };
    const signedAttrs = derBytes(der, attrs);
    signedAttrs[0] = 0x31; // signed as a SET OF, travels as [0]
    const cert = new X509Certificate(certDer);
    if (!verify("sha256", signedAttrs, cert.publicKey, derContent(der, signer[signer.length - 1]!))) return { ok: false, reason: "bad signature" };
    if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return { ok: false, reason: "not issued by the device CA" };
    if (now < Date.parse(cert.validFrom) || now > Date.parse(cert.validTo)) return { ok: false, reason: "certificate not valid now" };
    if (cert.keyUsage && !cert.keyUsage.includes(CLIENT_AUTH)) return { ok: false, reason: "not a client certificate" };
    return { ok: true, sha: sha256(certDer).toString("hex") };
  } catch {
    return { ok: false, reason: "unreadable Mdm-Signature" };
  }
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
function xml(v: unknown): string {
  if (typeof v === "string") return `<string>${esc(v)}</string>`;
  if (typeof v === "number") return Number.isInteger(v) ? `<integer>${v}</integer>` : `<real>${v}</real>`;
  if (typeof v === "boolean") return v ? "<true/>" : "<false/>";
  if (Array.isArray(v)) return `<array>${v.map(xml).join("")}</array>`;
  const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
  return `<dict>${entries.map(([k, x]) => `<key>${esc(k)}</key>${xml(x)}`).join("")}</dict>`;
}
const HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0">';

const q = {
  computer: db.prepare("select id, identity_cert_sha256 as sha, enrolled from computers where udid = ?"),
  touch: db.prepare("update computers set last_checkin_at = ?, updated_at = ? where id = ?"),
  command: db.prepare("select uuid, computer_id as computerId, status, request_type as type, sent_at as sentAt from commands where uuid = ?"),
  finish: db.prepare("update commands set status = ?, completed_at = ?, response = ?, result = ? where uuid = ?"),
  notNow: db.prepare("update commands set status = 'not_now', not_now_at = coalesce(not_now_at, ?), not_now_count = not_now_count + 1 where uuid = ?"),
  info: db.prepare(
    "update computers set name = coalesce(?, name), os_version = coalesce(?, os_version), build_version = coalesce(?, build_version), model = coalesce(?, model), serial_number = coalesce(?, serial_number), device_information_at = ?, updated_at = ? where id = ?",
  ),
  next: db.prepare("select uuid, payload from commands where computer_id = ? and status in ('queued', 'sent', 'not_now') order by priority desc, seq limit 1"),
  sent: db.prepare("update commands set status = 'sent', sent_at = coalesce(sent_at, ?) where uuid = ?"),
};
const TERMINAL: Record<string, string> = { Acknowledged: "acknowledged", Error: "error", CommandFormatError: "command_format_error" };

type Report = { Status?: string; UDID?: string; CommandUUID?: string; QueryResponses?: Record<string, string | undefined> };
type Answer = { status: number; body: string };

const transaction = db.transaction((r: Report, text: string, sha: string, now: number): Answer => {
  const c = q.computer.get(r.UDID) as { id: number; sha: string | null; enrolled: number } | undefined;
  if (!c || c.sha !== sha || !c.enrolled) return { status: 400, body: "unknown device or identity mismatch\n" };
  if (r.Status !== "Idle" && r.CommandUUID !== undefined) {
    const cmd = q.command.get(r.CommandUUID) as { uuid: string; computerId: number; status: string; type: string; sentAt: number | null } | undefined;
    if (!cmd || cmd.computerId !== c.id || cmd.sentAt === null) return { status: 400, body: "unknown command\n" };
    if (!["queued", "sent", "not_now"].includes(cmd.status)) return { status: 200, body: "" };
    if (r.Status === "NotNow") q.notNow.run(now, cmd.uuid);
    else q.finish.run(TERMINAL[r.Status ?? ""] ?? "error", now, text, r.QueryResponses ? JSON.stringify({ QueryResponses: r.QueryResponses }) : null, cmd.uuid);
    const a = r.QueryResponses;
    if (r.Status === "Acknowledged" && cmd.type === "DeviceInformation" && a) q.info.run(a.DeviceName ?? null, a.OSVersion ?? null, a.BuildVersion ?? null, a.Model ?? null, a.SerialNumber ?? null, now, now, c.id);
  }
  q.touch.run(now, now, c.id);
  const next = q.next.get(c.id) as { uuid: string; payload: string } | undefined;
  if (!next) return { status: 200, body: "" };
  q.sent.run(now, next.uuid);
  return { status: 200, body: `${HEAD}${xml({ CommandUUID: next.uuid, Command: JSON.parse(next.payload) as unknown })}</plist>\n` };
});
const handle = (r: Report, text: string, sha: string, now: number) => transaction.immediate(r, text, sha, now);

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on("data", (c: Buffer) => {
    size += c.length;
    if (size <= 1 << 20) chunks.push(c);
  });
  req.on("end", () => {
    const reply = (a: Answer) => res.writeHead(a.status, { "content-length": Buffer.byteLength(a.body), "content-type": "application/xml; charset=utf-8" }).end(a.body);
    if (req.method !== "PUT" || size > 1 << 20) return reply({ status: 400, body: "refused\n" });
    const body = Buffer.concat(chunks);
    const now = Date.now();
    const header = req.headers["mdm-signature"];
    const v = verifySignature(body, Array.isArray(header) ? header[0] : header, now);
    if (!v.ok) return reply({ status: 400, body: `${v.reason}\n` });
    const text = body.toString("utf8");
    let report: Report;
    try {
      report = parse(text) as Report;
    } catch {
      return reply({ status: 400, body: "malformed plist\n" });
    }
    if (typeof report !== "object" || typeof report.UDID !== "string" || typeof report.Status !== "string") return reply({ status: 400, body: "missing keys\n" });
    reply(handle(report, text, v.sha, now));
  });
});
server.keepAliveTimeout = 65_000;
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
serveIpc({});
announceReady((server.address() as { port: number }).port);

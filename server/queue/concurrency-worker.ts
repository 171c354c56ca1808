// One writer of the concurrency test: its own connection to a shared database file, running the queue's
// read-then-write transactions in a tight loop. Prints a JSON summary; any SQLITE_BUSY is counted.
import { buildDeviceInformation } from "@/server/queue/commands";
import { enqueueCommand, nextCommand, recordReport } from "@/server/queue/queue";
import { createDb } from "@/db/client";

const [file, idArg, opsArg] = process.argv.slice(2);
const db = createDb(file!);
const computers = [1, 2, 3, 4];
const ops = Number(opsArg);
let busy = 0;
let other = 0;
let done = 0;
for (let i = 0; i < ops; i++) {
  const computerId = computers[(i + Number(idArg)) % computers.length]!;
  const now = new Date(1_700_000_000_000 + i);
  try {
    enqueueCommand(db, { computerId, command: buildDeviceInformation(), purpose: "admin" }, now);
    const next = nextCommand(db, computerId, { afterNotNow: false }, now);
    if (next) recordReport(db, computerId, { commandUuid: next.uuid, status: i % 3 === 0 ? "NotNow" : "Acknowledged" }, now);
    done++;
  } catch (e) {
    if (/SQLITE_BUSY|database is locked/i.test(String((e as Error).message) + String((e as { code?: string }).code))) busy++;
    else other++;
  }
}
console.log(JSON.stringify({ worker: Number(idArg), done, busy, other }));

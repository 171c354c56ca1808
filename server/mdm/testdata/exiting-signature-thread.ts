// A signature thread that exits on its first job (server/mdm/signature-threads.test.ts): what a crash of
// OpenSSL or an out-of-memory thread looks like to the event loop.
import { parentPort } from "node:worker_threads";

parentPort?.once("message", () => process.exit(3));

// The server state fuzzing runs against: two enrolled Macs with many commands out on them, so mutated
// reports reach the queue, the check-in paths and the inventory writers, not only the parser.
import { inArray } from "drizzle-orm";

import { buildDeviceInformation, buildInstalledApplicationList } from "@/server/queue/commands";
import { enqueueCommand } from "@/server/queue/queue";
import { createTestDeps, type TestDeps } from "@/server/testing";
import { commands } from "@/db/schema";

import { fakeMac } from "./test-helpers";

export const FUZZ_UDIDS = ["FUZZ-MAC-0", "FUZZ-MAC-1"];

export async function createFuzzDeps(deviceAuth: "none" | "signature" = "none"): Promise<{ deps: TestDeps; commandUuids: string[] }> {
  const deps = createTestDeps({ POMONA_DEVICE_AUTH: deviceAuth });
  deps.log.error = () => {}; // hostile input is expected here; a real error fails the case instead
  if (deviceAuth === "signature") return { deps, commandUuids: [] };
  const uuids: string[] = [];
  for (const [i, udid] of FUZZ_UDIDS.entries()) {
    await fakeMac(deps, udid).enroll();
    for (let n = 0; n < 300; n++) {
      const command = n % 2 === 0 ? buildDeviceInformation() : buildInstalledApplicationList();
      uuids.push(enqueueCommand(deps.db, { computerId: i + 1, command, purpose: "admin" }, deps.clock.now()).uuid);
    }
  }
  // As if each had been handed to its Mac: reports about them take the "recorded" paths.
  deps.db.update(commands).set({ status: "sent", sentAt: deps.clock.now() }).where(inArray(commands.uuid, uuids)).run();
  return { deps, commandUuids: uuids };
}

import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";

import { commandIn, countRows, fakeMac } from "@/server/mdm/test-helpers";
import { createTestDeps, actingAs } from "@/server/testing";
import { commands, computers, events } from "@/db/schema";

import { cancelComputerCommand, updateComputerInventory } from "./computer-commands";

const setup = async (udid: string) => {
  const deps = createTestDeps({ POMONA_DEVICE_AUTH: "none" });
  const woken: string[] = [];
  deps.push.register(udid, (t) => woken.push(t.pushMagic));
  const mac = fakeMac(deps, udid);
  await mac.enroll();
  const id = deps.db.select().from(computers).where(eq(computers.udid, udid)).get()!.id;
  return { deps, mac, id, woken };
};

const flush = () => new Promise((r) => setImmediate(r));

describe("computer actions", () => {
  it("the first TokenUpdate wakes the Mac through the push provider", async () => {
    const { woken } = await setup("PUSH-1");
    await flush();
    expect(woken).toEqual(["magic-PUSH-1"]);
  });

  it("Update inventory queues DeviceInformation + InstalledApplicationList, writes an event and pushes", async () => {
    const { deps, id, woken, mac } = await setup("INV-1");
    // Drain the enrollment inventory first.
    let cmd = commandIn(await mac.idle());
    while (cmd) cmd = commandIn(await mac.report(cmd.CommandUUID, "Acknowledged"));
    const result = await updateComputerInventory(deps, { id }, actingAs("admin@example.com"));
    expect(result).toMatchObject({ queued: 2, pushed: true });
    expect(result.commandUuids.length).toBe(2);
    expect(woken.length).toBe(2);
    expect(countRows(deps, "commands", "status = 'queued'")).toBe(2);
    expect(deps.db.select().from(events).all().at(-1)).toMatchObject({ type: "computer.inventory_requested", actor: "admin@example.com", computerId: id });
  });

  it("refuses Update inventory for an unenrolled or unknown computer, writing nothing", async () => {
    const { deps, id, mac } = await setup("INV-2");
    await mac.checkOut();
    const before = countRows(deps, "commands");
    await expect(updateComputerInventory(deps, { id }, actingAs("a"))).rejects.toMatchObject({ code: "PRECONDITION_FAILED" });
    await expect(updateComputerInventory(deps, { id: 9999 }, actingAs("a"))).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(countRows(deps, "commands")).toBe(before);
  });

  it("cancels a pending command with an event, and refuses one that is out on the Mac", async () => {
    const { deps, mac } = await setup("CANCEL-1");
    const sent = commandIn(await mac.idle())!; // DeviceInformation is now out on the Mac
    const pending = deps.db.select().from(commands).where(eq(commands.status, "queued")).get()!;
    expect(cancelComputerCommand(deps, { uuid: pending.uuid }, actingAs("admin@example.com"))).toEqual({ uuid: pending.uuid, status: "canceled" });
    expect(deps.db.select().from(events).all().at(-1)).toMatchObject({ type: "command.canceled", commandUuid: pending.uuid, category: "admin" });
    expect(() => cancelComputerCommand(deps, { uuid: sent.CommandUUID }, actingAs("a"))).toThrow(/Only pending commands can be cancelled: this DeviceInformation is sent/);
    expect(() => cancelComputerCommand(deps, { uuid: "nope" }, actingAs("a"))).toThrow(/No command nope/);
    // The cancelled command is never offered.
    expect(commandIn(await mac.report(sent.CommandUUID, "Acknowledged"))).toBeUndefined();
  });
});

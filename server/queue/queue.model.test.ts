// Model-based test of the command queue: random sequences of enqueue / poll / report / replay / cancel /
// release, checked step by step against a small in-memory model of DESIGN §3.4 and mdm-protocol.md §9.
import fc from "fast-check";
import { and, eq, isNotNull, isNull } from "drizzle-orm";
import { describe, expect, it } from "vitest";

import { createTestDeps, type TestDeps } from "@/server/testing";
import { commands, computers } from "@/db/schema";

import { buildDeviceInformation, buildInstallEnterpriseApplication } from "./commands";
import { cancelCommand, enqueueCommand, nextCommand, recordReport, releaseInstallSlot } from "./queue";

type Status = "queued" | "sent" | "acknowledged" | "error" | "command_format_error" | "not_now" | "canceled";
type ModelCommand = { uuid: string; computer: number; install: boolean; priority: number; seq: number; status: Status; sent: boolean; released: boolean };
type Model = { commands: ModelCommand[]; seq: number };
type Real = { deps: TestDeps; computerIds: number[] };

const OPEN: Status[] = ["queued", "sent", "not_now"];
const TERMINAL: Status[] = ["acknowledged", "error", "command_format_error", "canceled"];

function modelNext(m: Model, computer: number, afterNotNow: boolean): ModelCommand | undefined {
  const inFlight = m.commands.find((c) => c.computer === computer && c.install && c.sent && !c.released);
  return m.commands
    .filter((c) => c.computer === computer && OPEN.includes(c.status))
    .sort((a, b) => b.priority - a.priority || a.seq - b.seq)
    .find((c) => !(afterNotNow && c.status === "not_now") && (!c.install || !inFlight || inFlight.uuid === c.uuid));
}

function installsInFlight(real: Real, computerId: number) {
  return real.deps.db
    .select({ uuid: commands.uuid })
    .from(commands)
    .where(and(eq(commands.computerId, computerId), eq(commands.isInstall, true), isNotNull(commands.sentAt), isNull(commands.releasedAt)))
    .all().length;
}

class Enqueue implements fc.Command<Model, Real> {
  constructor(
    readonly computer: number,
    readonly install: boolean,
    readonly priority: number,
  ) {}
  check = () => true;
  run(m: Model, r: Real) {
    const command = this.install ? buildInstallEnterpriseApplication({ manifestUrl: "https://x.example/m.plist" }) : buildDeviceInformation();
    const row = enqueueCommand(r.deps.db, { computerId: r.computerIds[this.computer]!, command, purpose: this.install ? "install" : "device_information", priority: this.priority }, r.deps.clock.now());
    m.commands.push({ uuid: row.uuid, computer: this.computer, install: this.install, priority: this.priority, seq: ++m.seq, status: "queued", sent: false, released: false });
    expect(row.status).toBe("queued");
  }
  toString = () => `enqueue(mac${this.computer}, ${this.install ? "install" : "info"}, p${this.priority})`;
}

class Poll implements fc.Command<Model, Real> {
  constructor(
    readonly computer: number,
    readonly afterNotNow: boolean,
  ) {}
  check = () => true;
  run(m: Model, r: Real) {
    const expected = modelNext(m, this.computer, this.afterNotNow);
    const got = nextCommand(r.deps.db, r.computerIds[this.computer]!, { afterNotNow: this.afterNotNow }, r.deps.clock.now());
    expect(got?.uuid).toBe(expected?.uuid); // FIFO within priority, NotNow deferral, one install in flight
    // The command served is the stored row, as drizzle maps it (nextCommand reads it through raw SQL).
    if (got) expect(got).toEqual(r.deps.db.select().from(commands).where(eq(commands.uuid, got.uuid)).get());
    if (expected) {
      expected.status = "sent";
      expected.sent = true;
    }
    expect(installsInFlight(r, r.computerIds[this.computer]!)).toBeLessThanOrEqual(1);
  }
  toString = () => `poll(mac${this.computer}${this.afterNotNow ? ", after NotNow" : ""})`;
}

class Report implements fc.Command<Model, Real> {
  constructor(
    readonly pick: number,
    readonly asComputer: number,
    readonly status: "Acknowledged" | "Error" | "CommandFormatError" | "NotNow",
    /** Most reports answer a command that is out on its Mac, as a real device does; the rest are hostile. */
    readonly honest: boolean,
  ) {}
  check = (m: Readonly<Model>) => m.commands.length > 0;
  run(m: Model, r: Real) {
    const out = m.commands.filter((c) => c.status === "sent");
    const honest = this.honest && out.length > 0;
    const c = honest ? out[this.pick % out.length]! : m.commands[this.pick % m.commands.length]!;
    const as = honest ? c.computer : this.asComputer;
    const outcome = recordReport(r.deps.db, r.computerIds[as]!, { commandUuid: c.uuid, status: this.status }, r.deps.clock.now());
    if (c.computer !== as || !c.sent) {
      expect(outcome.kind).toBe("unknown"); // another Mac's command, or never sent: refused
      return;
    }
    if (TERMINAL.includes(c.status)) {
      expect(outcome.kind).toBe("duplicate"); // sticky: a replay (even NotNow) changes nothing
      return;
    }
    expect(outcome.kind).toBe("recorded");
    if (this.status === "NotNow") c.status = "not_now";
    else {
      c.status = this.status === "Acknowledged" ? "acknowledged" : this.status === "Error" ? "error" : "command_format_error";
      if (c.install && c.status !== "acknowledged") c.released = true;
    }
  }
  toString = () => `report(#${this.pick}${this.honest ? "" : ` as mac${this.asComputer}`}, ${this.status})`;
}

class Cancel implements fc.Command<Model, Real> {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => m.commands.length > 0;
  run(m: Model, r: Real) {
    const c = m.commands[this.pick % m.commands.length]!;
    const result = cancelCommand(r.deps.db, c.uuid, r.deps.clock.now());
    const cancelable = c.status === "queued" || c.status === "not_now";
    expect(result.canceled).toBe(cancelable);
    if (cancelable) {
      c.status = "canceled";
      if (c.install && c.sent) c.released = true;
    }
  }
  toString = () => `cancel(#${this.pick})`;
}

class Release implements fc.Command<Model, Real> {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => m.commands.length > 0;
  run(m: Model, r: Real) {
    const c = m.commands[this.pick % m.commands.length]!;
    const released = releaseInstallSlot(r.deps.db, c.uuid, r.deps.clock.now());
    expect(released).toBe(c.install && !c.released);
    if (c.install) c.released = true;
  }
  toString = () => `release(#${this.pick})`;
}

const MACS = 2;
const allCommands = [
  fc.tuple(fc.nat(MACS - 1), fc.boolean(), fc.constantFrom(0, 0, 1)).map(([c, i, p]) => new Enqueue(c, i, p)),
  fc.tuple(fc.nat(MACS - 1), fc.boolean()).map(([c, n]) => new Poll(c, n)),
  fc
    .tuple(fc.nat(50), fc.nat(MACS - 1), fc.constantFrom<Report["status"]>("Acknowledged", "Error", "CommandFormatError", "NotNow"), fc.nat(3))
    .map(([p, c, s, h]) => new Report(p, c, s, h > 0)),
  fc.nat(50).map((p) => new Cancel(p)),
  fc.nat(50).map((p) => new Release(p)),
];

describe("command queue (model-based)", () => {
  it("matches the model: FIFO per computer with priority, sticky terminal statuses, NotNow deferral, one install in flight", () => {
    fc.assert(
      fc.property(fc.commands(allCommands, { maxCommands: 60, size: "max" }), (cmds) => {
        const deps = createTestDeps();
        const now = deps.clock.now();
        const computerIds = Array.from({ length: MACS }, (_, i) =>
          deps.db.insert(computers).values({ udid: `MODEL-${i}`, name: `Mac ${i}`, createdAt: now, updatedAt: now }).returning().get().id,
        );
        const model: Model = { commands: [], seq: 0 };
        fc.modelRun(() => ({ model, real: { deps, computerIds } }), cmds);
        // The database agrees with the model at the end, command by command.
        const rows = new Map(deps.db.select().from(commands).all().map((c) => [c.uuid, c]));
        expect(rows.size).toBe(model.commands.length);
        for (const c of model.commands) {
          const row = rows.get(c.uuid);
          expect(row?.status).toBe(c.status);
          expect(row?.releasedAt !== null && row?.releasedAt !== undefined).toBe(c.install && c.released);
        }
        deps.db.$client.close();
      }),
      { numRuns: 200 },
    );
  });
});

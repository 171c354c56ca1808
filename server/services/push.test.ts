import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";

import { MINUTE } from "@/server/clock";
import type { PushOutcome, PushProvider, PushTarget } from "@/server/push/provider";
import { createTestDeps, type TestDeps } from "@/server/testing";
import { computers, events } from "@/db/schema";

import { pushComputers } from "./push";

const TOPIC = "com.apple.mgmt.External.11111111-2222-3333-4444-555555555555";

function addComputer(deps: TestDeps, udid: string, fields: Partial<typeof computers.$inferInsert> = {}) {
  const now = deps.clock.now();
  return deps.db
    .insert(computers)
    .values({ udid, name: udid, enrolled: true, pushToken: `${udid.length.toString(16).padStart(2, "0")}ab`, pushMagic: `magic-${udid}`, pushTopic: TOPIC, createdAt: now, updatedAt: now, ...fields })
    .returning({ id: computers.id })
    .get().id;
}

/** A provider that answers from a table keyed by UDID (ok when absent) and remembers what it was asked. */
function fakeProvider(answers: Record<string, Omit<Extract<PushOutcome, { ok: false }>, "udid">> = {}) {
  const calls: PushTarget[][] = [];
  const provider: PushProvider = {
    name: "fake",
    push(targets) {
      calls.push(targets);
      return Promise.resolve(
        targets.map((t): PushOutcome => {
          const answer = answers[t.udid];
          return answer ? { udid: t.udid, ...answer } : { udid: t.udid, ok: true };
        }),
      );
    },
    close: () => Promise.resolve(),
  };
  return { provider, calls };
}

describe("pushComputers", () => {
  it("[PUSH]: pushes enrolled computers with a live token and skips the others", async () => {
    const deps = createTestDeps();
    const ok = addComputer(deps, "OK");
    const unenrolled = addComputer(deps, "UNENROLLED", { enrolled: false });
    const noToken = addComputer(deps, "NO-TOKEN", { pushToken: null });
    const noMagic = addComputer(deps, "NO-MAGIC", { pushMagic: null });
    const noTopic = addComputer(deps, "NO-TOPIC", { pushTopic: null });
    const dead = addComputer(deps, "DEAD", { pushTokenInvalidAt: deps.clock.now() });
    const { provider, calls } = fakeProvider();

    const result = await pushComputers({ ...deps, push: provider }, [ok, unenrolled, noToken, noMagic, noTopic, dead, ok, 9999]);

    expect(result).toEqual({ sent: 1, failed: 0, skipped: 6 });
    expect(calls).toEqual([[{ udid: "OK", token: "02ab", pushMagic: "magic-OK", topic: TOPIC }]]);
  });

  it("[PUSH]: does not call the provider when nothing can be pushed", async () => {
    const deps = createTestDeps();
    const { provider, calls } = fakeProvider();
    expect(await pushComputers({ ...deps, push: provider }, [])).toEqual({ sent: 0, failed: 0, skipped: 0 });
    expect(calls).toEqual([]);
  });

  it("[PUSH]: a 410 retires the token and writes one event", async () => {
    const deps = createTestDeps();
    const a = addComputer(deps, "A");
    const b = addComputer(deps, "B");
    const { provider } = fakeProvider({ B: { ok: false, permanent: true, status: 410, reason: "Unregistered" } });
    deps.clock.advance(5 * MINUTE);

    expect(await pushComputers({ ...deps, push: provider }, [a, b])).toEqual({ sent: 1, failed: 1, skipped: 0 });

    const rows = deps.db.select({ id: computers.id, invalidAt: computers.pushTokenInvalidAt }).from(computers).all();
    expect(rows).toEqual([
      { id: a, invalidAt: null },
      { id: b, invalidAt: deps.clock.now() },
    ]);
    const logged = deps.db.select().from(events).all();
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ category: "device", type: "push.token_invalid", actor: "system", computerId: b, at: deps.clock.now() });
    expect(logged[0]?.message).toContain("Unregistered");

    // Retired, it is skipped next time, and no second event is written.
    expect(await pushComputers({ ...deps, push: provider }, [a, b])).toEqual({ sent: 1, failed: 0, skipped: 1 });
    expect(deps.db.select().from(events).all()).toHaveLength(1);
  });

  it("[PUSH]: BadDeviceToken retires the token, a certificate problem does not", async () => {
    const deps = createTestDeps();
    const bad = addComputer(deps, "BAD");
    const cert = addComputer(deps, "CERT");
    const { provider } = fakeProvider({
      BAD: { ok: false, permanent: true, status: 400, reason: "BadDeviceToken" },
      CERT: { ok: false, permanent: true, status: 403, reason: "BadCertificate" },
    });

    expect(await pushComputers({ ...deps, push: provider }, [bad, cert])).toEqual({ sent: 0, failed: 2, skipped: 0 });

    expect(deps.db.select().from(computers).where(eq(computers.id, bad)).get()?.pushTokenInvalidAt).toEqual(deps.clock.now());
    expect(deps.db.select().from(computers).where(eq(computers.id, cert)).get()?.pushTokenInvalidAt).toBeNull();
    expect(deps.db.select({ computerId: events.computerId }).from(events).all()).toEqual([{ computerId: bad }]);
  });

  it("[PUSH]: a transient failure marks nothing", async () => {
    const deps = createTestDeps();
    const a = addComputer(deps, "A");
    const { provider } = fakeProvider({ A: { ok: false, permanent: false, status: 503, reason: "ServiceUnavailable" } });

    expect(await pushComputers({ ...deps, push: provider }, [a])).toEqual({ sent: 0, failed: 1, skipped: 0 });

    expect(deps.db.select().from(computers).get()?.pushTokenInvalidAt).toBeNull();
    expect(deps.db.select().from(events).all()).toEqual([]);
  });

  it("[PUSH]: a token replaced while the push was in flight is not retired", async () => {
    const deps = createTestDeps();
    const a = addComputer(deps, "A");
    const provider: PushProvider = {
      name: "racy",
      push(targets) {
        // The Mac sends a TokenUpdate with a new token before APNs answers about the old one.
        deps.db.update(computers).set({ pushToken: "ffee" }).where(eq(computers.id, a)).run();
        return Promise.resolve(targets.map((t): PushOutcome => ({ udid: t.udid, ok: false, permanent: true, status: 410, reason: "Unregistered" })));
      },
      close: () => Promise.resolve(),
    };

    expect(await pushComputers({ ...deps, push: provider }, [a])).toEqual({ sent: 0, failed: 1, skipped: 0 });

    expect(deps.db.select().from(computers).get()?.pushTokenInvalidAt).toBeNull();
    expect(deps.db.select().from(events).all()).toEqual([]);
  });

  it("[PUSH]: a provider that throws counts every target as failed", async () => {
    const deps = createTestDeps();
    const a = addComputer(deps, "A");
    const provider: PushProvider = { name: "broken", push: () => Promise.reject(new Error("down")), close: () => Promise.resolve() };
    expect(await pushComputers({ ...deps, push: provider }, [a])).toEqual({ sent: 0, failed: 1, skipped: 0 });
    expect(deps.log.entries.some((e) => e.level === "error")).toBe(true);
  });
});

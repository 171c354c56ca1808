// Step 4's end-to-end test: a real Pomona process on a fresh database with the simulated clock, 20 virtual
// Macs speaking the real protocol, deployments created through tRPC, time moved with system.tick.
import { expect, test, type APIRequestContext } from "@playwright/test";

import { createFleet, generateFleetSpecs } from "../../simulator/fleet";

const TOKEN = "e2e-enroll-token-0123456789abcdef";
const MINUTE = 60_000;

type Target = { computerId: number; computerName: string; status: string; phase: string; reason: string; attempts: number };
type Computer = { id: number; name: string; osVersion: string | null; architecture: "arm64" | "x86_64" | null };

async function trpcQuery<T>(request: APIRequestContext, path: string, input?: unknown): Promise<T> {
  const url = input === undefined ? `/api/trpc/${path}` : `/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`;
  const res = await request.get(url);
  expect(res.status(), `${path}: ${await res.text()}`).toBe(200);
  return ((await res.json()) as { result: { data: T } }).result.data;
}

async function trpcMutation<T>(request: APIRequestContext, path: string, input: unknown): Promise<T> {
  const res = await request.post(`/api/trpc/${path}`, { data: input });
  expect(res.status(), `${path}: ${await res.text()}`).toBe(200);
  return ((await res.json()) as { result: { data: T } }).result.data;
}

const osAtLeast = (v: string, min: number) => Number(v.split(".")[0]) >= min;

test("[FLEET] 20 virtual Macs: every status of DESIGN §3.1 for the right computers, never two installs in flight", async ({ request, baseURL }) => {
  test.setTimeout(180_000);
  // Seed 4242: 12 Apple silicon Macs on macOS 14+, 4 Intel Macs on 14+, 4 Macs below 14 (other stories
  // share this database, so everything below is scoped to these 20 serial numbers).
  const SEED = 4242;
  const serials = generateFleetSpecs(SEED, 20).map((s) => s.serialNumber);
  const fleet = createFleet({ server: baseURL!, token: TOKEN, devices: 20, seed: SEED, pollIntervalMs: 2000, installDurationMs: [50, 150], notNowRate: 0.2, openAppRate: 0.3 });
  try {
    await fleet.start();
    expect(fleet.stats().enrolled).toBe(20);

    const tag = `fleet-${Date.now()}`;
    const criteria = serials.map((value, i) => ({ ...(i > 0 ? { joiner: "or" } : {}), field: "Serial Number", operator: "is", value }));
    const group = await trpcMutation<{ id: number }>(request, "smartGroups.create", { name: `Fleet ${tag}`, criteria });
    const catalog = await trpcQuery<{ id: number; bundleId: string }[]>(request, "catalog.list");
    const titleId = (bundleId: string) => catalog.find((t) => t.bundleId === bundleId)!.id;
    const create = (name: string, bundleId: string, distributionMethod: string) =>
      trpcMutation<{ id: number }>(request, "deployments.create", { name: `${name} ${tag}`, titleId: titleId(bundleId), smartGroupId: group.id, distributionMethod, updateMethod: "automatic" });

    const chrome = await create("Chrome", "com.google.Chrome", "install_automatically");
    const slack = await create("Slack", "com.tinyspeck.slackmacgap", "self_service");
    const firefoxSelf = await create("Firefox SS", "org.mozilla.firefox", "self_service");
    const firefoxAuto = await create("Firefox", "org.mozilla.firefox", "install_automatically");
    const chatgpt = await create("ChatGPT", "com.openai.chat", "install_automatically");

    const targets = async (id: number) => (await trpcQuery<{ items: Target[] }>(request, "deployments.targets", { id, pageSize: 100 })).items;
    const seen = new Set<string>();
    const note = async () => {
      for (const id of [chrome.id, slack.id, firefoxSelf.id, firefoxAuto.id, chatgpt.id]) for (const t of await targets(id)) seen.add(t.status);
    };
    await note();
    expect(seen).toContain("in_progress");

    // Let simulated time pass until every automatic installer has settled (the Macs work in real time).
    for (let i = 0; i < 120; i++) {
      await trpcMutation(request, "system.tick", { advanceMs: MINUTE });
      await new Promise((r) => setTimeout(r, 250));
      await note();
      const open = [...(await targets(chrome.id)), ...(await targets(firefoxAuto.id)), ...(await targets(chatgpt.id))].filter((t) => t.status === "in_progress");
      if (open.length === 0) break;
    }

    const computers = (await trpcQuery<{ items: (Computer & { serialNumber: string })[] }>(request, "computers.list", { pageSize: 500 })).items.filter((c) => serials.includes(c.serialNumber));
    expect(computers.length).toBe(20);
    const byId = new Map(computers.map((c) => [c.id, c]));

    // Chrome (macOS 11+, universal): Installed everywhere.
    expect((await targets(chrome.id)).map((t) => t.status)).toEqual(Array(20).fill("installed"));
    // The Firefox pair: the Self Service one is Unqualified on every Mac, naming the automatic one.
    for (const t of await targets(firefoxSelf.id)) {
      expect(t.status).toBe("unqualified");
      expect(t.reason).toContain(`(#${firefoxAuto.id}) takes precedence: Install automatically wins over Make available in Self Service`);
    }
    // ChatGPT (macOS 14+, arm64 only): Failed with the reason exactly where the Mac does not qualify,
    // minimum macOS checked first (DESIGN §3.3).
    const reasons = new Set<string>();
    for (const t of await targets(chatgpt.id)) {
      const c = byId.get(t.computerId)!;
      if (!osAtLeast(c.osVersion!, 14)) expect(t).toMatchObject({ status: "failed", reason: `Requires macOS 14.0 or later (this Mac runs ${c.osVersion})` });
      else if (c.architecture === "x86_64") expect(t).toMatchObject({ status: "failed", reason: "Not available for Intel (x86_64)" });
      else expect(t.status).toBe("installed");
      reasons.add(t.status === "failed" ? t.reason.split(" ")[0]! : t.status);
    }
    expect([...reasons].sort()).toEqual(["Not", "Requires", "installed"]); // both reasons occur in this fleet
    // Slack in Self Service: offered unless already there.
    expect((await targets(slack.id)).every((t) => t.status === "self_service_available" || t.status === "installed")).toBe(true);

    expect([...seen].sort()).toEqual(["failed", "in_progress", "installed", "self_service_available", "unqualified"]);
    // A virtual Mac loses an install that arrives while another runs (the macOS quirk): none was lost.
    const stats = fleet.stats();
    expect(stats.installsLost).toBe(0);
    expect(stats.wedgedNow).toBe(0);
    expect(stats.rejected).toBe(0);
    console.log(`fleet: ${JSON.stringify({ polls: stats.polls, commands: stats.commands, installsDone: stats.installsDone, notNow: stats.notNow, pushes: stats.pushesReceived })}`);
  } finally {
    await fleet.stop();
  }
});

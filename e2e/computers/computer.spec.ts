// Step 5: a virtual Mac in Computers and on its own page: general info, installed apps, Management History,
// Update inventory, and cancelling a command the Mac cannot answer.
import { expect, test, type APIRequestContext } from "@playwright/test";

import { createFleet, generateFleetSpecs } from "../../simulator/fleet";
import { loadAccounts } from "../auth/accounts";

const TOKEN = "e2e-enroll-token-0123456789abcdef";
const SEED = 5101;

async function trpcQuery<T>(request: APIRequestContext, path: string, input: unknown): Promise<T> {
  const res = await request.get(`/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`);
  expect(res.status(), `${path}: ${await res.text()}`).toBe(200);
  return ((await res.json()) as { result: { data: T } }).result.data;
}

test("[COMPUTERS] an empty search says so", async ({ page }) => {
  await page.goto("/computers?q=no-such-mac-anywhere");
  await expect(page.getByRole("heading", { level: 1, name: "Computers" })).toBeVisible();
  await expect(page.getByText("No computer matches your search")).toBeVisible();
  // An unknown id renders Next's not-found page (streamed after loading.tsx, so the HTTP status stays 200).
  await page.goto("/computers/999999");
  await expect(page.getByText("This page could not be found")).toBeVisible();
});

test("[COMPUTERS] a virtual Mac: listed and searchable, general info, inventory, Management History, Update inventory, Cancel", async ({ page, request, baseURL }) => {
  test.setTimeout(120_000);
  const [spec] = generateFleetSpecs(SEED, 1);
  if (!spec) throw new Error("no spec");
  const fleet = createFleet({ server: baseURL!, token: TOKEN, devices: 1, seed: SEED, pollIntervalMs: 2000, installDurationMs: [100, 300] });
  let running = true;
  try {
    await fleet.start();
    expect(fleet.stats().enrolled).toBe(1);
    // DeviceInformation and InstalledApplicationList are queued at enrollment; wait for both answers.
    await expect
      .poll(async () => {
        const { items } = await trpcQuery<{ items: { serialNumber: string | null; lastInventoryAt: string | null }[] }>(request, "computers.list", { search: spec.udid });
        return items[0]?.serialNumber !== spec.serialNumber ? "waiting for DeviceInformation" : items[0]?.lastInventoryAt ? "ready" : "waiting for inventory";
      }, { timeout: 30_000 })
      .toBe("ready");

    // Computers: search by name, the row shows serial, macOS and architecture, and links to the computer.
    await page.goto("/computers");
    await page.getByRole("searchbox", { name: "Search computers" }).fill(spec.deviceName);
    await page.getByRole("button", { name: "Search" }).click();
    await expect(page).toHaveURL(/\?q=/);
    const row = page.getByRole("table", { name: "Computers" }).getByRole("row").filter({ hasText: spec.serialNumber });
    await expect(row).toContainText(spec.os.version);
    await expect(row).toContainText(spec.model.architecture === "arm64" ? "Apple silicon" : "Intel");
    await page.screenshot({ path: "e2e/.artifacts/screenshots/computers.png", fullPage: true });
    await row.getByRole("link", { name: spec.deviceName }).click();

    // The computer page: general information.
    await expect(page.getByRole("heading", { level: 1, name: spec.deviceName })).toBeVisible();
    const general = page.getByRole("region", { name: "General" });
    await expect(general).toContainText(spec.serialNumber);
    await expect(general).toContainText(spec.udid);
    await expect(general).toContainText(spec.model.identifier);
    await expect(general).toContainText(`macOS ${spec.os.version} (${spec.os.build})`);
    await expect(general).toContainText(spec.model.architecture);

    // Inventory: every installed app, with a filter box.
    const apps = page.getByRole("table", { name: "Installed apps" });
    await expect(apps.getByRole("row")).toHaveCount(spec.apps.length + 1);
    const app = spec.apps.find((a) => a.identifier) ?? spec.apps[0]!;
    await page.getByRole("searchbox", { name: "Filter installed apps" }).fill(app.identifier ?? app.name);
    await expect(apps.getByRole("row").filter({ hasText: app.name }).first()).toContainText(app.shortVersion);
    expect(await apps.getByRole("row").count()).toBeLessThan(spec.apps.length + 1);
    await page.getByRole("searchbox", { name: "Filter installed apps" }).fill("");

    // Management History: the enrollment's inventory commands, acknowledged.
    const history = page.getByRole("table", { name: "Management History" });
    const commands = (type: string) => history.getByRole("row").filter({ hasText: type });
    await expect(commands("DeviceInformation")).toHaveCount(1);
    await expect(commands("DeviceInformation")).toContainText("Acknowledged");
    await expect(commands("InstalledApplicationList")).toHaveCount(1);
    await expect(commands("InstalledApplicationList")).toContainText("Acknowledged");
    await page.screenshot({ path: "e2e/.artifacts/screenshots/computer.png", fullPage: true });

    // Update inventory queues both commands again; the Mac is woken and answers them.
    await page.getByRole("button", { name: "Update inventory" }).click();
    await expect(commands("DeviceInformation")).toHaveCount(2);
    await expect(commands("InstalledApplicationList")).toHaveCount(2);
    await expect(commands("DeviceInformation").first()).toContainText(/Pending|Sent|Acknowledged/);
    await expect(history.getByRole("row").filter({ hasText: "Acknowledged" })).toHaveCount(4, { timeout: 20_000 });
    await expect(page.getByRole("list", { name: "Event timeline" })).toContainText(`Inventory update requested by ${loadAccounts().admin.email}`);

    // With the Mac gone, a new request stays Pending and can be cancelled.
    await fleet.stop();
    running = false;
    await page.getByRole("button", { name: "Update inventory" }).click();
    await expect(commands("DeviceInformation")).toHaveCount(3);
    const pending = commands("DeviceInformation").first();
    await expect(pending).toContainText("Pending");
    await pending.getByRole("button", { name: "Cancel DeviceInformation" }).click();
    await expect(pending).toContainText("Canceled");
    await expect(pending.getByRole("button")).toHaveCount(0);
    await expect(commands("InstalledApplicationList").first()).toContainText("Pending");
    await expect(page.getByRole("list", { name: "Event timeline" })).toContainText(`DeviceInformation cancelled by ${loadAccounts().admin.email}`);
  } finally {
    if (running) await fleet.stop();
  }
});

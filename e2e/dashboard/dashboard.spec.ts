import { expect, test } from "@playwright/test";

import { createSerialGroup, driveUntil, screenshotPath, startFleet, titleIdOf, trpcMutation, trpcQuery, unique } from "../deployments/support";

type Dashboard = { computers: { enrolled: number; checkedInLast24h: number } };

// LM Studio runs on Apple silicon only: on an all-Intel fleet every Mac fails at once, with the reason.
test("[DASHBOARD] fleet counts, each App Installer's status bar, and recent failures with their reasons, all linking on", async ({ page, request, baseURL }) => {
  const u = unique();
  const { fleet, specs, computerIds } = await startFleet(request, baseURL!, { seed: 111, devices: 3, appleSiliconShare: 0 });
  try {
    const smartGroupId = await createSerialGroup(request, `Dashboard Macs ${u}`, specs.map((s) => s.serialNumber));
    const name = `LM Studio for the lab ${u}`;
    const { id } = await trpcMutation<{ id: number }>(request, "deployments.create", {
      name,
      titleId: await titleIdOf(request, "ai.elementlabs.lmstudio"),
      smartGroupId,
      distributionMethod: "install_automatically",
      updateMethod: "automatic",
    });
    await driveUntil(request, id, (c) => c.failed === 3, { stepMs: 0, maxSteps: 10 });
    const summary = await trpcQuery<Dashboard>(request, "deployments.dashboard");
    expect(summary.computers.enrolled).toBeGreaterThanOrEqual(3);

    await page.goto("/");
    await expect(page.getByRole("heading", { level: 1, name: "Dashboard" })).toBeVisible();
    await expect(page.getByRole("link", { name: `Enrolled Macs: ${summary.computers.enrolled}` })).toHaveAttribute("href", "/computers");
    await expect(page.getByRole("link", { name: `Checked in within 24 h: ${summary.computers.checkedInLast24h}` })).toBeVisible();

    const installers = page.getByRole("region", { name: "App Installers" });
    const item = installers.getByRole("listitem").filter({ has: page.getByRole("link", { name, exact: true }) });
    await expect(item.getByRole("img", { name: "Failed: 3" })).toBeVisible();
    await expect(item).toContainText("Failed3");

    const failures = page.getByRole("region", { name: "Recent failures" });
    for (const spec of specs) {
      const failure = failures.getByRole("listitem").filter({ has: page.getByRole("link", { name: spec.deviceName, exact: true }) }).first();
      await expect(failure).toContainText("Not available for Intel (x86_64)");
      await expect(failure.getByRole("link", { name: spec.deviceName, exact: true })).toHaveAttribute("href", `/computers/${computerIds.get(spec.serialNumber)}`);
      await expect(failure.getByRole("link", { name, exact: true })).toHaveAttribute("href", `/deployments/${id}`);
    }
    await page.screenshot({ path: screenshotPath("dashboard"), fullPage: true });

    await item.getByRole("link", { name, exact: true }).click();
    await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
  } finally {
    await fleet.stop();
  }
});

import fs from "node:fs/promises";

import { expect, test } from "@playwright/test";

import { createSerialGroup, driveUntil, HOUR, screenshotPath, startFleet, titleIdOf, trpcMutation, unique } from "./support";

test("[DEPLOY][RETRY] failed attempts show their attempts and error; Retry failed sends a new attempt; the table exports as CSV", async ({ page, request, baseURL }) => {
  const u = unique();
  const seed = 404;
  let started = await startFleet(request, baseURL!, { seed, devices: 2, failureRate: 1 });
  try {
    const { specs } = started;
    const smartGroupId = await createSerialGroup(request, `Story 4 Macs ${u}`, specs.map((s) => s.serialNumber));
    const name = `Sublime Text, "flaky network" ${u}`;
    const { id } = await trpcMutation<{ id: number }>(request, "deployments.create", {
      name,
      titleId: await titleIdOf(request, "com.sublimetext.4"),
      smartGroupId,
      distributionMethod: "install_automatically",
      updateMethod: "automatic",
    });

    // Every download fails: three attempts, six hours apart, then Failed with the last error.
    await driveUntil(request, id, (c) => c.failed === 2, { stepMs: 2 * HOUR, maxSteps: 40 });
    await page.goto(`/deployments/${id}`);
    const table = page.getByRole("table", { name: "Computers" });
    const rowOf = (deviceName: string) => table.getByRole("row").filter({ has: page.getByRole("link", { name: deviceName, exact: true }) });
    for (const spec of specs) {
      const row = rowOf(spec.deviceName);
      await expect(row).toContainText("Failed");
      await expect(row).toContainText("Not installed after 3 attempts: The download of “Sublime Text” failed");
      await expect(row.getByRole("cell").nth(5)).toHaveText("3");
    }

    await page.screenshot({ path: screenshotPath("deployment-detail-failed"), fullPage: true });

    // The network is fine again: the same Macs (same seed, same UDIDs) come back without failures.
    await started.fleet.stop();
    started = await startFleet(request, baseURL!, { seed, devices: 2, failureRate: 0 });

    // Retry one selected computer, then all the failed ones.
    const [first, second] = specs;
    await rowOf(first!.deviceName).getByRole("checkbox", { name: `Select ${first!.deviceName}` }).check();
    await page.getByRole("button", { name: "Retry selected (1)" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Retry started for 1 computer" })).toBeVisible();
    await expect(rowOf(first!.deviceName)).toContainText("In progress");
    await expect(rowOf(first!.deviceName).getByRole("cell").nth(5)).not.toHaveText("3");
    await expect(rowOf(second!.deviceName)).toContainText("Failed");
    await page.getByRole("button", { name: "Retry all failed (1)" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Retry started for 1 computer" })).toBeVisible();

    await driveUntil(request, id, (c) => c.installed === 2);
    for (const spec of specs) {
      await expect(rowOf(spec.deviceName)).toContainText("Installed", { timeout: 15_000 });
      await expect(rowOf(spec.deviceName).getByRole("cell").nth(5)).toHaveText("1");
    }

    // The Mac's Management History: the failed attempts with the Mac's error text, then the install that
    // was acknowledged, and the InstalledApplicationList answers around it.
    await page.goto(`/computers/${started.computerIds.get(first!.serialNumber)}`);
    const history = page.getByRole("table", { name: "Management History" });
    const installs = history.getByRole("row").filter({ hasText: "InstallEnterpriseApplication" });
    await expect(installs.filter({ hasText: "Acknowledged" })).toHaveCount(1);
    const failedInstalls = installs.filter({ hasText: "Error" });
    expect(await failedInstalls.count()).toBeGreaterThanOrEqual(3);
    await expect(failedInstalls.first()).toContainText("The download of “Sublime Text” failed");
    await expect(history.getByRole("row").filter({ hasText: "InstalledApplicationList" }).filter({ hasText: "Acknowledged" }).first()).toBeVisible();
    await page.screenshot({ path: screenshotPath("computer-history"), fullPage: true });
    await page.goto(`/deployments/${id}`);

    // CSV of every page of the table, named after the installer.
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Export CSV" }).click()]);
    expect(download.suggestedFilename()).toMatch(/^Sublime.Text.+-computers\.csv$/);
    expect(download.suggestedFilename()).toContain(u);
    const csv = (await fs.readFile(await download.path())).toString("utf8").replace(/^\uFEFF/, "");
    const lines = csv.trimEnd().split("\r\n");
    expect(lines[0]).toBe('"Computer","UDID","Status","Phase","Reason","Attempts","Target version","Last error","Next attempt at","Last update"');
    expect(lines).toHaveLength(1 + specs.length);
    for (const spec of specs) {
      const line = lines.find((l) => l.startsWith(`"${spec.deviceName.replace(/"/g, '""')}",`));
      expect(line, `a CSV row for ${spec.deviceName}`).toBeDefined();
      expect(line).toContain(`"${spec.udid}","installed","done"`);
    }
  } finally {
    await started.fleet.stop();
  }
});

import { expect, test } from "@playwright/test";

import { createSerialGroup, driveUntil, screenshotPath, startFleet, unique } from "./support";

test("[DEPLOY] an App Installer created in the form, with its preview, installs on the Macs that check in", async ({ page, request, baseURL }) => {
  const u = unique();
  const { fleet, specs } = await startFleet(request, baseURL!, { seed: 101, devices: 3 });
  try {
    const groupName = `Story 1 Macs ${u}`;
    await createSerialGroup(request, groupName, specs.map((s) => s.serialNumber));

    // From the App Catalog, per title.
    await page.goto("/catalog");
    await page.getByRole("link", { name: "New App Installer for Cyberduck" }).click();
    await expect(page).toHaveURL(/\/deployments\/new\?titleId=\d+$/);
    await expect(page.getByRole("heading", { level: 1, name: "New App Installer" })).toBeVisible();
    await expect(page.getByLabel("Title", { exact: true })).toHaveValue(/\d+/);
    await expect(page.getByLabel("Title", { exact: true }).locator("option:checked")).toHaveText("Cyberduck");
    await expect(page.getByLabel("Name", { exact: true })).toHaveValue("Cyberduck");
    const preview = page.getByRole("region", { name: "Dry-run preview" });
    await expect(preview).toContainText("Choose a title and a smart group");

    const name = `Cyberduck for story 1 ${u}`;
    await page.getByLabel("Name", { exact: true }).fill(name);
    await page.getByLabel("Smart group").selectOption({ label: `${groupName} (3 computers)` });
    // Cyberduck has no supporting profiles: the checkbox says so and stays off.
    await expect(page.getByRole("checkbox", { name: /Install supporting configuration profiles/ })).toBeDisabled();
    await expect(page.getByText("Cyberduck has no supporting configuration profiles.")).toBeVisible();
    // Manual shows the version picker, with older versions; Automatic hides it again.
    await page.getByRole("radio", { name: /^Manual/ }).check();
    await expect(page.getByLabel("Version", { exact: true }).locator("option")).toHaveCount(2);
    await page.getByRole("radio", { name: /^Automatic/ }).check();
    await expect(page.getByLabel("Version", { exact: true })).toHaveCount(0);

    await expect(preview.getByRole("listitem", { name: "Will install: 3" })).toBeVisible();
    await expect(preview).toContainText("3 computers in scope");
    for (const spec of specs) await expect(preview.getByRole("link", { name: spec.deviceName })).toBeVisible();
    await page.screenshot({ path: screenshotPath("deployment-new"), fullPage: true });

    await page.getByRole("button", { name: "Create App Installer" }).click();
    await expect(page).toHaveURL(/\/deployments\/\d+$/);
    await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
    const id = Number(/\/deployments\/(\d+)$/.exec(page.url())![1]);

    // The Macs answer, install, and a confirming inventory shows the title: time moves in 5-minute steps.
    await driveUntil(request, id, (c) => c.installed === 3);
    const table = page.getByRole("table", { name: "Computers" });
    for (const spec of specs) {
      const row = table.getByRole("row").filter({ has: page.getByRole("link", { name: spec.deviceName, exact: true }) });
      await expect(row).toContainText("Installed", { timeout: 15_000 }); // the page refreshes itself
    }
    await expect(page.getByRole("img", { name: /Status breakdown\. Installed: 3/ })).toBeVisible();
    await page.getByRole("button", { name: /^Installed 3/ }).click();
    await expect(table.getByRole("row")).toHaveCount(4);
    await page.getByRole("button", { name: /^All 3/ }).click();
    await page.screenshot({ path: screenshotPath("deployment-detail"), fullPage: true });

    await page.goto("/deployments");
    const listRow = page.getByRole("table", { name: "App Installers" }).getByRole("row").filter({ hasText: name });
    await expect(listRow).toContainText("Enabled");
    await expect(listRow.getByRole("img", { name: "Installed: 3" })).toBeVisible();
    await page.screenshot({ path: screenshotPath("deployments"), fullPage: true });

    // Disable and enable from the detail page.
    await listRow.getByRole("link", { name }).click();
    await page.getByRole("button", { name: "Disable" }).click();
    await expect(page.getByText("This App Installer is disabled")).toBeVisible();
    await page.getByRole("button", { name: "Enable" }).click();
    await expect(page.getByText("This App Installer is disabled")).toHaveCount(0);

    // Edit: the form comes back filled, and its preview judges the installer in place of itself.
    await page.getByRole("link", { name: "Edit" }).click();
    await expect(page.getByLabel("Name", { exact: true })).toHaveValue(name);
    await expect(page.getByRole("region", { name: "Dry-run preview" }).getByRole("listitem", { name: "Will install: 3" })).toBeVisible();
    await page.getByLabel("Name", { exact: true }).fill(`${name} (edited)`);
    await page.getByRole("button", { name: "Save changes" }).click();
    await expect(page.getByRole("heading", { level: 1, name: `${name} (edited)` })).toBeVisible();
  } finally {
    await fleet.stop();
  }
});

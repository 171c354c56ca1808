import { expect, test } from "@playwright/test";

import { createSerialGroup, driveUntil, screenshotPath, startFleet, titleIdOf, trpcMutation, trpcQuery, unique, type StatusCounts } from "./support";

// Whisky 2.3.2 needs Apple silicon and macOS 14. Seed 202 with half Apple silicon gives two Apple silicon Macs on
// macOS 14+ and two Intel Macs.
test("[DEPLOY][CONFLICT] a second App Installer of a title is Unqualified, naming the winner; incompatible Macs fail with the reason", async ({ page, request, baseURL }) => {
  const u = unique();
  const { fleet, specs } = await startFleet(request, baseURL!, { seed: 202, devices: 4, appleSiliconShare: 0.5 });
  try {
    const intel = specs.filter((s) => s.model.architecture === "x86_64");
    const arm = specs.filter((s) => s.model.architecture === "arm64");
    expect(intel).toHaveLength(2);
    expect(arm).toHaveLength(2);
    const groupName = `Story 2 Macs ${u}`;
    const smartGroupId = await createSerialGroup(request, groupName, specs.map((s) => s.serialNumber));
    const titleId = await titleIdOf(request, "com.isaacmarovitz.Whisky");
    const winnerName = `Whisky for the studio ${u}`;
    const winner = await trpcMutation<{ id: number }>(request, "deployments.create", {
      name: winnerName,
      titleId,
      smartGroupId,
      distributionMethod: "install_automatically",
      updateMethod: "automatic",
    });

    // The second one, in the form: Self Service, created second.
    await page.goto(`/deployments/new?titleId=${titleId}`);
    const loserName = `Whisky in Self Service ${u}`;
    await page.getByLabel("Name", { exact: true }).fill(loserName);
    await page.getByLabel("Smart group").selectOption({ label: `${groupName} (4 computers)` });
    await page.getByRole("radio", { name: /^Make available in Self Service/ }).check();
    await page.getByLabel("Self Service category").fill("Games");
    await page.getByLabel("Self Service description").fill("Run Windows games on your Mac.");
    const preview = page.getByRole("region", { name: "Dry-run preview" });
    await expect(preview.getByRole("listitem", { name: "Unqualified: 4" })).toBeVisible();
    await expect(preview).toContainText(`App Installer "${winnerName}" (#${winner.id}) takes precedence: Install automatically wins over Make available in Self Service`);
    await page.getByRole("radio", { name: /^Manual/ }).check();
    await expect(page.getByLabel("Version", { exact: true })).toHaveValue("2.3.2");
    await page.getByLabel("Version", { exact: true }).selectOption("2.3.1");
    await expect(preview).toContainText("target version 2.3.1");
    await page.screenshot({ path: screenshotPath("deployment-new-self-service"), fullPage: true });
    await page.getByRole("radio", { name: /^Automatic/ }).check();
    await page.getByRole("button", { name: "Create App Installer" }).click();
    await expect(page.getByRole("heading", { level: 1, name: loserName })).toBeVisible();

    const table = page.getByRole("table", { name: "Computers" });
    await expect(table.getByRole("row").filter({ hasText: "Unqualified" })).toHaveCount(4);
    await expect(table.getByRole("row").nth(1)).toContainText(`App Installer "${winnerName}" (#${winner.id}) takes precedence`);
    await expect(page.getByText("Games")).toBeVisible();

    // The winner: the Intel Macs fail at once with the reason; the Apple silicon Macs install.
    await driveUntil(request, winner.id, (c: StatusCounts) => c.failed === 2 && c.installed === 2);
    await page.goto(`/deployments/${winner.id}`);
    for (const spec of intel) {
      const row = table.getByRole("row").filter({ has: page.getByRole("link", { name: spec.deviceName, exact: true }) });
      await expect(row).toContainText("Failed");
      // macOS is checked before the architecture.
      const [major = 0] = spec.os.version.split(".").map(Number);
      await expect(row).toContainText(major < 14 ? `Requires macOS 14.0 or later (this Mac runs ${spec.os.version})` : "Not available for Intel (x86_64)");
      await expect(row.getByRole("cell").nth(5)).toHaveText("0"); // no attempt used
    }
    for (const spec of arm) {
      await expect(table.getByRole("row").filter({ has: page.getByRole("link", { name: spec.deviceName, exact: true }) })).toContainText("Installed");
    }
    await page.getByRole("button", { name: /^Failed 2/ }).click();
    await expect(table.getByRole("row")).toHaveCount(3);

    // The loser stays Unqualified while the winner is enabled.
    const loser = await trpcQuery<{ id: number; name: string }[]>(request, "deployments.list");
    const loserId = loser.find((d) => d.name === loserName)!.id;
    expect((await trpcQuery<{ counts: StatusCounts }>(request, "deployments.get", { id: loserId })).counts.unqualified).toBe(4);
  } finally {
    await fleet.stop();
  }
});

import { expect, test } from "@playwright/test";

import { createSerialGroup, driveUntil, screenshotPath, startFleet, titleIdOf, trpcMutation, trpcQuery, unique } from "../deployments/support";

test("[SELF_SERVICE] the end user's signed page lists the title; Install makes the admin view go to Installed", async ({ page, request, baseURL }) => {
  const u = unique();
  const { fleet, specs, computerIds } = await startFleet(request, baseURL!, { seed: 303, devices: 2 });
  try {
    const smartGroupId = await createSerialGroup(request, `Story 3 Macs ${u}`, specs.map((s) => s.serialNumber));
    const name = `Signal on request ${u}`;
    const { id } = await trpcMutation<{ id: number }>(request, "deployments.create", {
      name,
      titleId: await titleIdOf(request, "org.whispersystems.signal-desktop"),
      smartGroupId,
      distributionMethod: "self_service",
      updateMethod: "automatic",
      selfService: { category: "Communication", description: "Private messages and calls." },
    });
    await driveUntil(request, id, (c) => c.self_service_available === 2, { stepMs: 0, maxSteps: 10 });

    const [mine, other] = specs;
    const computerId = computerIds.get(mine!.serialNumber)!;
    const { url } = await trpcQuery<{ url: string }>(request, "selfService.link", { computerId });
    expect(url).toMatch(new RegExp(`/self-service/${computerId}\\?sig=[A-Za-z0-9_-]{43}$`));

    // A link for another computer, or no signature, opens nothing.
    const otherUrl = (await trpcQuery<{ url: string }>(request, "selfService.link", { computerId: computerIds.get(other!.serialNumber)! })).url;
    await page.goto(`/self-service/${computerId}?sig=${new URL(otherUrl).searchParams.get("sig")}`);
    await expect(page.getByRole("heading", { name: "This Self Service link is not valid" })).toBeVisible();
    await page.goto(`/self-service/${computerId}`);
    await expect(page.getByRole("heading", { name: "This Self Service link is not valid" })).toBeVisible();

    await page.goto(new URL(url).pathname + new URL(url).search);
    await expect(page.getByText("Self Service", { exact: true })).toBeVisible();
    await expect(page.getByRole("heading", { level: 1, name: `Apps for ${mine!.deviceName}` })).toBeVisible();
    await expect(page.getByRole("navigation", { name: "Main" })).toHaveCount(0);
    const card = page.getByRole("region", { name: "Signal" });
    await expect(card).toContainText("Private messages and calls.");
    await expect(page.getByRole("region", { name: "Communication" })).toBeVisible();

    await page.screenshot({ path: screenshotPath("self-service"), fullPage: true });
    await card.getByRole("button", { name: "Install Signal" }).click();
    await expect(card).toContainText("Installing…");
    await driveUntil(request, id, (c) => c.installed === 1);
    await expect(card).toContainText("Installed", { timeout: 10_000 }); // the page polls
    await page.screenshot({ path: screenshotPath("self-service-installed"), fullPage: true });

    await page.goto(`/deployments/${id}`);
    const table = page.getByRole("table", { name: "Computers" });
    await expect(table.getByRole("row").filter({ has: page.getByRole("link", { name: mine!.deviceName, exact: true }) })).toContainText("Installed");
    await expect(table.getByRole("row").filter({ has: page.getByRole("link", { name: other!.deviceName, exact: true }) })).toContainText("Available for install in Self Service");
    const events = await trpcQuery<{ type: string; actor: string }[]>(request, "deployments.events", { id });
    expect(events.find((e) => e.type === "self_service.requested")?.actor).toBe("end user");
  } finally {
    await fleet.stop();
  }
});

import { expect, test } from "@playwright/test";

import { createSerialGroup, screenshotPath, titleIdOf, trpcMutation, unique } from "./support";

// A change to an App Installer is in effect from its commit, and the pass that writes every computer's status
// follows it (pending-scopes.ts). At 100,000 Macs that pass takes seconds; a demo fleet's takes milliseconds,
// so here the page's own refresh is answered with a pass in progress, as the server reports one.
test("[DEPLOY][SCOPE] while the pass behind a change runs, the App Installer's page says how far it is, and stops saying so when it ends", async ({ page, request }) => {
  const u = unique();
  const { id } = await trpcMutation<{ id: number }>(request, "deployments.create", {
    name: `Firefox for the whole fleet ${u}`,
    titleId: await titleIdOf(request, "org.mozilla.firefox"),
    smartGroupId: await createSerialGroup(request, `Nobody ${u}`, [`NO-SUCH-SERIAL-${u}`]),
    distributionMethod: "install_automatically",
    updateMethod: "automatic",
  });

  await page.goto(`/deployments/${id}`);
  const banner = page.getByRole("status").filter({ hasText: "Updating computers for the latest change" });
  await expect(page.getByRole("heading", { name: `Firefox for the whole fleet ${u}` })).toBeVisible();
  await expect(banner).toHaveCount(0); // the pass of a one-group change ended before the page loaded

  let inProgress = true;
  await page.route("**/api/trpc/**", async (route) => {
    const response = await route.fetch();
    const body = (await response.json()) as { result?: { data?: Record<string, unknown> } }[] | { result?: { data?: Record<string, unknown> } };
    if (inProgress) {
      for (const item of Array.isArray(body) ? body : [body]) {
        const data = item.result?.data;
        if (data && "scoping" in data && data.id === id) data.scoping = { visited: 42_000, total: 100_000, requestedAt: new Date().toISOString() };
      }
    }
    await route.fulfill({ response, json: body });
  });
  await expect(banner).toContainText("42,000 of 100,000", { timeout: 15_000 }); // the page refreshes every 5 s
  await expect(banner).toContainText("a computer not yet counted below gets its status and commands when it checks in");
  await page.screenshot({ path: screenshotPath("deployment-detail-scoping"), fullPage: true });

  inProgress = false;
  await expect(banner).toHaveCount(0, { timeout: 15_000 });
  // The page keeps refreshing: a request the route holds when the test ends must not fail the run (it did
  // once in CI, "route.fetch: Test ended", and the next story did not run).
  await page.unrouteAll({ behavior: "ignoreErrors" });
});

import { expect, test } from "@playwright/test";

test("[SHELL] the navigation reaches every area", async ({ page }) => {
  await page.goto("/");
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  const nav = page.getByRole("navigation", { name: "Main" });
  for (const [link, heading] of [
    ["Computers", "Computers"],
    ["Smart Groups", "Smart Groups"],
    ["App Installers", "App Installers"],
    ["Settings", "Settings"],
    ["App Catalog", "App Catalog"],
    ["Audit Log", "Audit Log"],
  ] as const) {
    await nav.getByRole("link", { name: link }).click();
    await expect(page.getByRole("heading", { level: 1, name: heading })).toBeVisible();
    await expect(nav.getByRole("link", { name: link })).toHaveAttribute("aria-current", "page");
  }
  await page.goto("/");
  await page.screenshot({ path: "e2e/.artifacts/screenshots/dashboard.png", fullPage: true });
});

import { expect, test } from "@playwright/test";

test("[CATALOG] the App Catalog page lists the bundled titles with versions, minimum macOS and architectures", async ({ page }) => {
  await page.goto("/catalog");
  await expect(page.getByRole("heading", { name: "App Catalog" })).toBeVisible();
  const table = page.getByRole("table", { name: "Catalog titles" });
  const chrome = table.getByRole("row").filter({ hasText: "Google Chrome" });
  await expect(chrome).toContainText("com.google.Chrome");
  await expect(chrome).toContainText("macOS 11.0 or later");
  await expect(chrome).toContainText("Universal");
  expect(await table.getByRole("row").count()).toBeGreaterThan(30);
  await page.screenshot({ path: "e2e/.artifacts/screenshots/catalog.png", fullPage: true });

  await page.getByRole("searchbox", { name: "Search the catalog" }).fill("mozilla");
  await expect(table.getByRole("row")).toHaveCount(2); // header + Firefox
  await expect(table).toContainText("Mozilla Firefox");

  await page.getByRole("button", { name: "Sync catalog" }).click();
  await expect(page.getByRole("status")).toHaveText("Catalog is up to date");
});

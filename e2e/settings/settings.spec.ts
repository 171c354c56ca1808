// Step 5: Settings — the durations persist, an enrollment token's link is shown once and can be revoked,
// and a push certificate that is not one is refused with a clear message.
import { expect, test } from "@playwright/test";

test("[SETTINGS] the retry interval is saved and still there after a reload", async ({ page }) => {
  await page.goto("/settings");
  await expect(page.getByRole("heading", { level: 1, name: "Settings" })).toBeVisible();
  const amount = page.getByLabel("Time between attempts", { exact: true });
  const unit = page.getByLabel("Time between attempts unit");
  await expect(amount).toHaveValue("6");
  await expect(unit).toHaveValue("hours");

  await amount.fill("90");
  await unit.selectOption("minutes");
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Settings saved" })).toBeVisible();
  await page.reload();
  await expect(page.getByLabel("Time between attempts", { exact: true })).toHaveValue("90");
  await expect(page.getByLabel("Time between attempts unit")).toHaveValue("minutes");

  // Out of range: refused next to the field, nothing saved.
  await page.getByLabel("Time between attempts", { exact: true }).fill("0");
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByText("Between 1 minute and 30 days")).toBeVisible();

  // Back to the default, so other specs run with DESIGN's timing.
  await page.getByLabel("Time between attempts", { exact: true }).fill("6");
  await page.getByLabel("Time between attempts unit").selectOption("hours");
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Settings saved" })).toBeVisible();
});

test("[SETTINGS] an enrollment token: the link is shown once, works, and stops working when revoked", async ({ page, request }) => {
  const label = `Laptops ${Date.now()}`;
  await page.goto("/settings");
  await page.getByLabel("Label", { exact: true }).fill(label);
  await page.getByRole("button", { name: "Create enrollment token" }).click();
  const shown = page.getByRole("region", { name: "New enrollment link" });
  await expect(shown).toBeVisible();
  const link = shown.getByLabel("Enrollment link", { exact: true });
  await expect(link).toHaveValue(/\/mdm\/enroll\?token=enr_[A-Za-z0-9_-]+$/);
  const url = await link.inputValue();
  const token = await shown.getByLabel("Token", { exact: true }).inputValue();
  expect(url.endsWith(token)).toBe(true);
  await expect(shown.getByRole("button", { name: "Copy enrollment link" })).toBeVisible();
  const row = page.getByRole("table", { name: "Enrollment tokens" }).getByRole("row").filter({ hasText: label });
  await expect(row).toContainText("Active");
  await expect(row).toContainText("Never");
  await page.screenshot({ path: "e2e/.artifacts/screenshots/settings.png", fullPage: true });

  const enroll = await request.get(new URL(url).pathname + new URL(url).search);
  expect(enroll.status()).toBe(200);

  // Shown once: gone after Done, and after a reload the page has no way to show it again.
  await shown.getByRole("button", { name: "Done" }).click();
  await expect(shown).toBeHidden();
  await page.reload();
  await expect(page.getByRole("region", { name: "New enrollment link" })).toHaveCount(0);
  await expect(page.getByText(token)).toHaveCount(0);
  await expect(row).toContainText("Active");
  await expect(row.getByRole("cell").nth(3)).toHaveText("1");

  await row.getByRole("button", { name: `Revoke ${label}` }).click();
  const dialog = page.getByRole("dialog", { name: `Revoke “${label}”?` });
  await expect(dialog).toContainText("can no longer enroll");
  await dialog.getByRole("button", { name: "Revoke token" }).click();
  await expect(dialog).toBeHidden();
  await expect(row).toContainText("Revoked");
  await expect(row.getByRole("button")).toHaveCount(0);
  expect((await request.get(new URL(url).pathname + new URL(url).search)).status()).toBe(403);
});

test("[SETTINGS] an API token: shown once, works as a Bearer token with its role, refused once revoked", async ({ page, request }) => {
  const label = `Export script ${Date.now()}`;
  await page.goto("/settings");
  await page.getByLabel("API token label").fill(label);
  await page.getByLabel("API token role").selectOption("admin");
  await page.getByRole("button", { name: "Create API token" }).click();
  const shown = page.getByRole("region", { name: "New API token" });
  const token = await shown.getByLabel("API token", { exact: true }).inputValue();
  expect(token).toMatch(/^pom_/);
  const call = () => request.get("/api/trpc/catalog.list", { headers: { authorization: `Bearer ${token}` } });
  expect((await call()).status()).toBe(200);

  await shown.getByRole("button", { name: "Done" }).click();
  await page.reload();
  await expect(page.getByText(token)).toHaveCount(0);
  const row = page.getByRole("table", { name: "API tokens" }).getByRole("row").filter({ hasText: label });
  await expect(row).toContainText("Admin");
  await expect(row).toContainText("Active");
  await row.getByRole("button", { name: `Revoke ${label}` }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Revoke API token" }).click();
  await expect(row).toContainText("Revoked");
  expect((await call()).status()).toBe(401);
});

test("[SETTINGS] text that is not a push certificate is refused with the reason", async ({ page }) => {
  await page.goto("/settings");
  await expect(page.getByText("No push certificate installed")).toBeVisible();
  await page.getByLabel("Certificate (PEM)", { exact: true }).fill("-----BEGIN CERTIFICATE-----\nnot really\n-----END CERTIFICATE-----");
  await page.getByLabel("Private key (PEM)", { exact: true }).fill("-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----");
  await page.getByRole("button", { name: "Upload certificate" }).click();
  await expect(page.getByRole("form", { name: "Upload push certificate" }).getByRole("alert")).toContainText("The certificate could not be read");
  await expect(page.getByText("No push certificate installed")).toBeVisible();
});

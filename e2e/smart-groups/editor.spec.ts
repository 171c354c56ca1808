// Step 5: the smart group editor with three virtual Macs: criteria with parentheses, the live preview, inline
// errors (an unbalanced parenthesis, a catastrophic regex), saving, the list's member count, and Delete.
import { expect, test, type APIRequestContext } from "@playwright/test";

import { createFleet, generateFleetSpecs } from "../../simulator/fleet";

const TOKEN = "e2e-enroll-token-0123456789abcdef";
const SEED = 5201;

async function trpcQuery<T>(request: APIRequestContext, path: string, input: unknown): Promise<T> {
  const res = await request.get(`/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`);
  expect(res.status(), `${path}: ${await res.text()}`).toBe(200);
  return ((await res.json()) as { result: { data: T } }).result.data;
}

async function trpcMutation<T>(request: APIRequestContext, path: string, input: unknown): Promise<T> {
  const res = await request.post(`/api/trpc/${path}`, { data: input });
  expect(res.status(), `${path}: ${await res.text()}`).toBe(200);
  return ((await res.json()) as { result: { data: T } }).result.data;
}

test("[SMART_GROUPS] create a group in the editor: parentheses, live preview, inline errors, saved with its member count", async ({ page, request, baseURL }) => {
  test.setTimeout(120_000);
  const specs = generateFleetSpecs(SEED, 3);
  const [first, second, third] = specs;
  if (!first || !second || !third) throw new Error("no specs");
  const fleet = createFleet({ server: baseURL!, token: TOKEN, devices: 3, seed: SEED, pollIntervalMs: 2000, installDurationMs: [100, 300] });
  try {
    await fleet.start();
    expect(fleet.stats().enrolled).toBe(3);
    for (const spec of specs) {
      await expect
        .poll(async () => (await trpcQuery<{ items: { serialNumber: string | null }[] }>(request, "computers.list", { search: spec.udid })).items[0]?.serialNumber, { timeout: 30_000 })
        .toBe(spec.serialNumber);
    }

    const name = `Editor ${Date.now()}`;
    await page.goto("/smart-groups");
    await page.getByRole("link", { name: "New smart group" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "New smart group" })).toBeVisible();
    await page.getByLabel("Name", { exact: true }).fill(name);
    await page.getByLabel("Description").fill("Two Macs of the editor test");

    // ( Serial Number is S1  or  Serial Number is S2 )
    await page.getByLabel("Criterion 1 field").selectOption("Serial Number");
    await expect(page.getByLabel("Criterion 1 operator")).toHaveValue("is");
    await page.getByLabel("Criterion 1 value").fill(first.serialNumber);
    await page.getByLabel("Criterion 1 opening parenthesis").check();
    await page.getByRole("button", { name: "Add criterion" }).click();
    await page.getByLabel("Criterion 2 joiner").selectOption("or");
    await page.getByLabel("Criterion 2 field").selectOption("Serial Number");
    await page.getByLabel("Criterion 2 operator").selectOption("is");
    await page.getByLabel("Criterion 2 value").fill(second.serialNumber);
    await page.getByLabel("Criterion 2 closing parenthesis").check();

    // The live preview, before saving.
    const preview = page.getByRole("region", { name: "Member preview" });
    await expect(preview).toContainText("2 computers match");
    await expect(preview.getByRole("list", { name: "Matching computers" })).toContainText(first.deviceName);
    await expect(preview.getByRole("list", { name: "Matching computers" })).toContainText(second.deviceName);
    await expect(preview.getByRole("list", { name: "Matching computers" })).not.toContainText(third.serialNumber);

    // Operators follow the field; the value control too.
    await page.getByRole("button", { name: "Add criterion" }).click();
    await page.getByLabel("Criterion 3 field").selectOption("Architecture Type");
    await expect(page.getByLabel("Criterion 3 operator").getByRole("option")).toHaveText(["is", "is not"]);
    await expect(page.getByLabel("Criterion 3 value")).toHaveValue("arm64");
    await page.getByLabel("Criterion 3 field").selectOption("Last Check-in");
    await expect(page.getByLabel("Criterion 3 value")).toHaveAttribute("type", "number");

    // A catastrophic regex: an inline error on its row.
    await page.getByLabel("Criterion 3 field").selectOption("Computer Name");
    // An empty value is not an error until it is edited (or Save is pressed).
    await expect(preview).toContainText("Fill in every criterion's value");
    await expect(page.getByRole("listitem", { name: "Criterion 3" })).not.toContainText("needs a value");
    await page.getByLabel("Criterion 3 operator").selectOption("matches regex");
    await page.getByLabel("Criterion 3 value").fill("(a+)+$");
    const third3 = page.getByRole("listitem", { name: "Criterion 3" });
    await expect(third3).toContainText("could backtrack catastrophically");
    await expect(page.getByLabel("Criterion 3 value")).toHaveAttribute("aria-invalid", "true");
    await expect(preview).toContainText("Fix the highlighted criteria");
    await page.screenshot({ path: "e2e/.artifacts/screenshots/smart-group-editor-errors.png", fullPage: true });
    await page.getByRole("button", { name: "Remove criterion 3" }).click();
    await expect(preview).toContainText("2 computers match");

    // An unbalanced parenthesis: the row that opens it says so.
    await page.getByLabel("Criterion 2 closing parenthesis").uncheck();
    await expect(page.getByRole("listitem", { name: "Criterion 1" })).toContainText("never closed");
    await page.getByLabel("Criterion 2 closing parenthesis").check();
    await expect(page.getByRole("listitem", { name: "Criterion 1" })).not.toContainText("never closed");
    // …and a ")" with nothing open is named on its own row.
    await page.getByLabel("Criterion 1 opening parenthesis").uncheck();
    await expect(page.getByRole("listitem", { name: "Criterion 2" })).toContainText("closes a parenthesis that was never opened");
    await page.getByLabel("Criterion 1 opening parenthesis").check();
    await expect(preview).toContainText("2 computers match");
    await page.screenshot({ path: "e2e/.artifacts/screenshots/smart-group-editor.png", fullPage: true });

    await page.getByRole("button", { name: "Create smart group" }).click();
    await expect(page).toHaveURL(/\/smart-groups$/);
    const row = page.getByRole("table", { name: "Smart groups" }).getByRole("row").filter({ hasText: name });
    await expect(row.getByRole("cell").nth(3)).toHaveText("2");
    await page.screenshot({ path: "e2e/.artifacts/screenshots/smart-groups.png", fullPage: true });

    // Reopened, the editor shows the saved criteria.
    await row.getByRole("link", { name }).click();
    await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
    await expect(page.getByLabel("Criterion 2 joiner")).toHaveValue("or");
    await expect(page.getByLabel("Criterion 2 value")).toHaveValue(second.serialNumber);
    await expect(page.getByLabel("Criterion 1 opening parenthesis")).toBeChecked();
    await expect(page.getByLabel("Criterion 2 closing parenthesis")).toBeChecked();
  } finally {
    await fleet.stop();
  }
});

test("[SMART_GROUPS] Delete asks first, shows why a group in use cannot go, and removes one that is not", async ({ page, request }) => {
  const tag = Date.now();
  const base = await trpcMutation<{ id: number }>(request, "smartGroups.create", { name: `Base ${tag}`, criteria: [{ field: "Architecture Type", operator: "is", value: "arm64" }] });
  const user = await trpcMutation<{ id: number }>(request, "smartGroups.create", { name: `User ${tag}`, criteria: [{ field: "Computer Group", operator: "member of", value: `Base ${tag}` }] });

  await page.goto(`/smart-groups/${base.id}`);
  await page.getByRole("button", { name: "Delete smart group" }).click();
  const dialog = page.getByRole("dialog", { name: `Delete “Base ${tag}”?` });
  await expect(dialog).toBeVisible();
  await dialog.getByRole("button", { name: "Delete" }).click();
  await expect(dialog.getByRole("alert")).toContainText(`cannot be deleted: it is used by smart group "User ${tag}"`);
  await page.screenshot({ path: "e2e/.artifacts/screenshots/smart-group-delete-dialog.png" });
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toBeHidden();

  await page.goto(`/smart-groups/${user.id}`);
  await expect(page.getByLabel("Criterion 1 value")).toHaveValue(`Base ${tag}`);
  await page.getByRole("button", { name: "Delete smart group" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
  await expect(page).toHaveURL(/\/smart-groups$/);
  await expect(page.getByRole("table", { name: "Smart groups" })).not.toContainText(`User ${tag}`);
  await expect(page.getByRole("table", { name: "Smart groups" })).toContainText(`Base ${tag}`);
});

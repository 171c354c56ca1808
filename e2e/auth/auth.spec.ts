// Sign-in stories: no page without a session, a wrong password says so, an auditor sees everything and can
// change nothing (in the page and at the API), sign-out ends the session, and the Audit Log shows who did what.
import { expect, test, type Page } from "@playwright/test";

import { unique } from "../deployments/support";

import { AUDITOR_STATE, loadAccounts } from "./accounts";

test.use({ storageState: { cookies: [], origins: [] } });

async function signIn(page: Page, email: string, password: string) {
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

test("[AUTH] pages and procedures need a session; a wrong password is refused; sign-in returns to the page asked for", async ({ page, request }) => {
  const { admin } = loadAccounts();
  // The API answers anonymous callers with 401, before any data.
  const anonymous = await request.get("/api/trpc/computers.list");
  expect(anonymous.status()).toBe(401);

  await page.goto("/settings");
  await expect(page).toHaveURL(/\/login\?next=%2Fsettings$/);
  await signIn(page, admin.email, "not-the-password");
  await expect(page.getByRole("form", { name: "Sign in" }).getByRole("alert")).toContainText("Wrong email or password");
  await page.screenshot({ path: "e2e/.artifacts/screenshots/login-error.png" });

  await signIn(page, admin.email, admin.password);
  await expect(page).toHaveURL(/\/settings$/);
  await expect(page.getByRole("heading", { level: 1, name: "Settings" })).toBeVisible();
  await expect(page.getByText(admin.email).first()).toBeVisible();

  // Sign out: back to the login page, and the old cookie opens nothing any more.
  const cookies = await page.context().cookies();
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login/);
  const replay = await request.get("/api/trpc/computers.list", { headers: { cookie: cookies.map((c) => `${c.name}=${c.value}`).join("; ") } });
  expect(replay.status()).toBe(401);
});

test("[AUTH] an auditor reads everything, changes nothing, and the Audit Log names every actor", async ({ browser }) => {
  const { admin } = loadAccounts();
  const context = await browser.newContext({ storageState: AUDITOR_STATE });
  const page = await context.newPage();
  await page.goto("/smart-groups");
  await expect(page.getByText("Read-only")).toBeVisible();
  const create = page.getByRole("link", { name: /New smart group/ }).or(page.getByText(/New smart group/));
  await expect(create.first()).toHaveAttribute("title", "Read-only: your role is auditor");

  // The API refuses the auditor's change even when the page is bypassed (same-origin fetch with its cookie).
  const name = `Auditor tried ${unique()}`;
  const status = await page.evaluate(async (groupName) => {
    const res = await fetch("/api/trpc/smartGroups.create", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: groupName, criteria: [] }) });
    return res.status;
  }, name);
  expect(status).toBe(403);

  // An admin's change shows in the Audit Log, read by the auditor; the refused one does not.
  const adminContext = await browser.newContext();
  const adminPage = await adminContext.newPage();
  await adminPage.goto("/login");
  await signIn(adminPage, admin.email, admin.password);
  await expect(adminPage.getByRole("heading", { level: 1, name: "Dashboard" })).toBeVisible();
  const groupName = `Audited ${unique()}`;
  const created = await adminPage.evaluate(async (n) => {
    const res = await fetch("/api/trpc/smartGroups.create", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: n, criteria: [] }) });
    return res.status;
  }, groupName);
  expect(created).toBe(200);

  await page.goto(`/audit?q=${encodeURIComponent(groupName)}`);
  await expect(page.getByRole("heading", { level: 1, name: "Audit Log" })).toBeVisible();
  const row = page.getByRole("row").filter({ hasText: groupName });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText(admin.email);
  await expect(row).toContainText("smart_group.created");
  await page.goto(`/audit?q=${encodeURIComponent(name)}`);
  await expect(page.getByRole("row").filter({ hasText: name })).toHaveCount(0);
  await page.goto("/audit");
  await page.screenshot({ path: "e2e/.artifacts/screenshots/audit-log.png", fullPage: true });
  await context.close();
  await adminContext.close();
});

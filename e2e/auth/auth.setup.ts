// Runs before every other project: creates an admin and an auditor on the e2e server's database through
// `npm run users` (no account exists otherwise: Pomona has no default login), signs each in over HTTP and
// keeps the session cookies as Playwright storage state.
import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { expect, test as setup } from "@playwright/test";

import { E2E_PORT } from "../playwright.config";

import { ADMIN_STATE, AUDITOR_STATE, saveAccounts, type Account } from "./accounts";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

function createAccount(email: string, role: "admin" | "auditor"): Account {
  const out = execFileSync("npx", ["tsx", "scripts/users.ts", "create", email, "--role", role], {
    cwd: root,
    // The server's database and clock (the e2e server runs the simulated clock, kept in that database).
    env: { ...process.env, POMONA_DB: `e2e/.data/${E2E_PORT}/pomona.db`, POMONA_CLOCK: "simulated" },
    encoding: "utf8",
  });
  const password = /Password: (\S+)/.exec(out)?.[1];
  if (!password) throw new Error(`npm run users printed no password:\n${out}`);
  return { email, password };
}

setup("sign in as an admin and as an auditor", async ({ playwright, baseURL }) => {
  const stamp = Date.now().toString(36);
  const accounts = { admin: createAccount(`admin-${stamp}@e2e.test`, "admin"), auditor: createAccount(`auditor-${stamp}@e2e.test`, "auditor") };
  saveAccounts(accounts);
  for (const [account, state] of [
    [accounts.admin, ADMIN_STATE],
    [accounts.auditor, AUDITOR_STATE],
  ] as const) {
    const request = await playwright.request.newContext({ baseURL });
    const res = await request.post("/api/auth/sign-in/email", { data: account, headers: { origin: baseURL! } });
    expect(res.status(), await res.text()).toBe(200);
    await request.storageState({ path: state });
    await request.dispose();
  }
});

// The run's admin and auditor accounts: created once by auth.setup.ts with `npm run users` (the way a real
// installation gets its first admin), then reused through Playwright's storage state.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { E2E_PORT } from "../playwright.config";

export const AUTH_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", ".auth", String(E2E_PORT));
export const ADMIN_STATE = path.join(AUTH_DIR, "admin.json");
export const AUDITOR_STATE = path.join(AUTH_DIR, "auditor.json");
const ACCOUNTS = path.join(AUTH_DIR, "accounts.json");

export type Account = { email: string; password: string };
export type Accounts = { admin: Account; auditor: Account };

export function saveAccounts(accounts: Accounts) {
  fs.mkdirSync(AUTH_DIR, { recursive: true });
  fs.writeFileSync(ACCOUNTS, JSON.stringify(accounts));
}

export function loadAccounts(): Accounts {
  return JSON.parse(fs.readFileSync(ACCOUNTS, "utf8")) as Accounts;
}

import path from "node:path";
import { fileURLToPath } from "node:url";

import { defineConfig, devices } from "@playwright/test";

export const E2E_PORT = Number(process.env.E2E_PORT ?? 3100);
const isCI = Boolean(process.env.CI);

export default defineConfig({
  testDir: ".",
  testMatch: "**/*.spec.ts",
  outputDir: `.artifacts/test-results-${E2E_PORT}`,
  fullyParallel: false,
  workers: 1,
  forbidOnly: isCI,
  retries: isCI ? 1 : 0,
  reporter: [["list"], ["json", { outputFile: ".artifacts/results.json" }]],
  timeout: 60_000,
  use: {
    baseURL: `http://localhost:${E2E_PORT}`,
    trace: "retain-on-failure",
    ...devices["Desktop Chrome"],
    viewport: { width: 1440, height: 900 },
    launchOptions: {
      executablePath: process.env.PLAYWRIGHT_CHROMIUM_PATH || "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    },
  },
  // Every story runs signed in as the run's admin (auth/auth.setup.ts); auth/ stories sign in themselves.
  projects: [
    { name: "setup", testMatch: "auth/auth.setup.ts" },
    { name: "stories", dependencies: ["setup"], use: { storageState: path.join(path.dirname(fileURLToPath(import.meta.url)), ".auth", String(E2E_PORT), "admin.json") } },
  ],
  webServer: {
    // A throwaway database and the simulated clock, then the same start path as `npm start`.
    command: `node -e "require('fs').rmSync('e2e/.data/${E2E_PORT}',{recursive:true,force:true})" && npx next build && npx tsx scripts/start.ts`,
    cwd: "..",
    url: `http://localhost:${E2E_PORT}/login`,
    timeout: 240_000,
    reuseExistingServer: false,
    stdout: "pipe",
    env: {
      PORT: String(E2E_PORT),
      POMONA_DB: `e2e/.data/${E2E_PORT}/pomona.db`,
      POMONA_CLOCK: "simulated",
      POMONA_DEMO: "0",
      POMONA_API_TOKEN: "e2e-admin-token-0123456789abcdef",
      POMONA_ENROLL_TOKEN: "e2e-enroll-token-0123456789abcdef",
    },
  },
});

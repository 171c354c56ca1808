// Validate the environment when Next loads its config, so `next build` fails early with every problem listed.
import "./server/env.js";

/** @type {import("next").NextConfig} */
const config = {
  // A separate build folder lets two checkouts' browser tests build side by side (E2E_PORT + NEXT_DIST_DIR).
  distDir: process.env.NEXT_DIST_DIR || ".next",
  // better-sqlite3 is a native addon: Node loads it, the bundler must not.
  serverExternalPackages: ["better-sqlite3"],
  poweredByHeader: false,
  reactStrictMode: true,
};

export default config;

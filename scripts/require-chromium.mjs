// Playwright drives Debian's Chromium here (browser downloads are not possible): fail early and clearly without it.
import fs from "node:fs";

const path = process.env.PLAYWRIGHT_CHROMIUM_PATH || "/usr/bin/chromium";
if (!fs.existsSync(path)) {
  console.error(`No Chromium at ${path}. Install it with:\n\n    apt-get update && apt-get install -y chromium\n\nor point PLAYWRIGHT_CHROMIUM_PATH at a Chromium binary.`);
  process.exit(1);
}

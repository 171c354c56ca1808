import fs from "node:fs";

import { describe, expect, it } from "vitest";

import { POMONA_NODE_FLAGS } from "./ipc";

describe("bench server flags", () => {
  it("are the node flags npm start and npm run dev give the product's server", () => {
    const scripts = (JSON.parse(fs.readFileSync("package.json", "utf8")) as { scripts: Record<string, string> }).scripts;
    for (const name of ["start", "dev"]) {
      const command = scripts[name] ?? "";
      const flags = /tsx ((?:--\S+ )*)scripts\/start\.ts/.exec(command)?.[1]?.trim().split(" ");
      expect(flags, `${name}: ${command}`).toEqual(POMONA_NODE_FLAGS);
    }
  });
});

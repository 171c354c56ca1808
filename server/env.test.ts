import { describe, expect, it } from "vitest";

import { parseEnv, publicUrl } from "./env.js";

describe("parseEnv", () => {
  it("applies DESIGN §4.3 defaults and treats empty strings as missing", () => {
    const e = parseEnv({ PORT: "", POMONA_DB: "" });
    expect(e.PORT).toBe(3000);
    expect(e.POMONA_DB).toBe("./data/pomona.db");
    expect(e.POMONA_CLOCK).toBe("system");
    expect(e.POMONA_DEMO).toBe(true);
    expect(e.POMONA_DEVICE_AUTH).toBe("signature");
    expect(publicUrl(e)).toBe("http://localhost:3000");
  });

  it("parses every variable", () => {
    const e = parseEnv({
      PORT: "4000",
      POMONA_DB: ":memory:",
      POMONA_CLOCK: "simulated",
      POMONA_TIME_SCALE: "120",
      POMONA_CATALOG_FEED: "/tmp/feed.json",
      POMONA_API_TOKEN: "0123456789abcdef0123",
      POMONA_ENROLL_TOKEN: "enroll-0123456789abcdef",
      POMONA_PUBLIC_URL: "https://mdm.example.com/",
      POMONA_DEMO: "0",
      POMONA_DEVICE_AUTH: "none",
    });
    expect(e).toMatchObject({ PORT: 4000, POMONA_CLOCK: "simulated", POMONA_TIME_SCALE: 120, POMONA_DEMO: false, POMONA_DEVICE_AUTH: "none" });
    expect(publicUrl(e)).toBe("https://mdm.example.com");
  });

  it("lists every problem in one error", () => {
    let message = "";
    try {
      parseEnv({
        PORT: "eighty",
        POMONA_CLOCK: "sundial",
        POMONA_TIME_SCALE: "-1",
        POMONA_API_TOKEN: "short",
        POMONA_PUBLIC_URL: "ftp://x",
        POMONA_DEMO: "maybe",
        POMONA_DEVICE_AUTH: "off",
      });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain("7 problems");
    for (const name of ["PORT", "POMONA_CLOCK", "POMONA_TIME_SCALE", "POMONA_API_TOKEN", "POMONA_PUBLIC_URL", "POMONA_DEMO", "POMONA_DEVICE_AUTH"]) {
      expect(message).toContain(`${name}:`);
    }
  });
});

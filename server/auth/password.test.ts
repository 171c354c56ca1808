import { describe, expect, it } from "vitest";

import { generatePassword, hashPassword, SCRYPT_PARAMS, verifyPassword } from "./password";

describe("admin passwords", () => {
  it("are scrypt at N = 2^17, r = 8, p = 1 with a fresh salt, and verify only the right password", async () => {
    const hash = await hashPassword("correct horse battery staple");
    const [scheme, logN, r, p, salt, key] = hash.split("$");
    expect([scheme, Number(logN), Number(r), Number(p)]).toEqual(["scrypt", 17, 8, 1]);
    expect(2 ** Number(logN)).toBe(SCRYPT_PARAMS.N);
    expect(Buffer.from(salt!, "base64url")).toHaveLength(16);
    expect(Buffer.from(key!, "base64url")).toHaveLength(64);
    expect(await hashPassword("correct horse battery staple")).not.toBe(hash);
    expect(await verifyPassword({ hash, password: "correct horse battery staple" })).toBe(true);
    expect(await verifyPassword({ hash, password: "correct horse battery stapler" })).toBe(false);
  });

  it("a malformed or absurd stored hash verifies nothing (and costs nothing)", async () => {
    for (const hash of ["", "scrypt", "bcrypt$17$8$1$AAAA$BBBB", "scrypt$30$8$1$AAAA$BBBB", "scrypt$x$8$1$AAAA$BBBB", "scrypt$17$8$1$AAAA"]) {
      expect(await verifyPassword({ hash, password: "anything" })).toBe(false);
    }
  });

  it("generated passwords are 20 characters of an unambiguous alphabet, never repeated", () => {
    const seen = new Set(Array.from({ length: 200 }, generatePassword));
    expect(seen.size).toBe(200);
    for (const p of seen) expect(p).toMatch(/^[A-HJ-NP-Za-km-np-z2-9]{20}$/);
  });
});

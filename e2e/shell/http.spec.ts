import { expect, test } from "@playwright/test";

test("[API] tRPC answers plain JSON for scripts", async ({ request }) => {
  const list = await request.get("/api/trpc/catalog.list");
  expect(list.status()).toBe(200);
  const body = (await list.json()) as { result: { data: { name: string }[] } };
  expect(body.result.data.map((t) => t.name)).toContain("Slack");
  const tick = await request.post("/api/trpc/system.tick", { data: { advanceMs: 60_000 } });
  expect(tick.status()).toBe(200);
});

test("[MDM] /mdm answers 405 to every method but PUT", async ({ request }) => {
  for (const method of ["GET", "POST", "OPTIONS"]) {
    const res = await request.fetch("/mdm", { method });
    expect(res.status(), method).toBe(405);
    expect(res.headers().allow).toBe("PUT");
  }
});

test("[MDM] /mdm/enroll hands out a profile for a valid token only, and PUT /mdm refuses unsigned bodies with 400", async ({ request }) => {
  const profile = await request.get("/mdm/enroll?token=e2e-enroll-token-0123456789abcdef");
  expect(profile.status()).toBe(200);
  expect(profile.headers()["content-type"]).toBe("application/x-apple-aspen-config");
  const text = await profile.text();
  expect(text).toContain("<string>com.apple.mdm</string>");
  expect(text).toContain("<string>com.apple.security.pkcs12</string>");
  expect((await request.get("/mdm/enroll?token=wrong")).status()).toBe(403);

  const put = await request.put("/mdm", {
    headers: { "content-type": "application/x-apple-aspen-mdm-checkin" },
    data: '<?xml version="1.0"?><plist version="1.0"><dict><key>MessageType</key><string>Authenticate</string><key>UDID</key><string>X</string><key>Topic</key><string>t</string></dict></plist>',
  });
  expect(put.status()).toBe(400);
  expect(await put.text()).toContain("missing Mdm-Signature header");
});

test("[CSRF] mutations posted as forms, or from another site, are refused and change nothing", async ({ request }) => {
  const read = async () => ((await (await request.get("/api/trpc/system.settings")).json()) as { result: { data: { maxAttempts: number } } }).result.data.maxAttempts;
  const before = await read();
  const body = JSON.stringify({ maxAttempts: before + 1 });
  const attempts: { headers?: Record<string, string>; data?: string; multipart?: Record<string, string> }[] = [
    { headers: { "content-type": "text/plain" }, data: body },
    { headers: { "content-type": "application/x-www-form-urlencoded" }, data: `input=${encodeURIComponent(body)}` },
    { multipart: { maxAttempts: String(before + 1) } },
    { headers: { "content-type": "application/json", origin: "https://evil.example" }, data: body },
    { headers: { "content-type": "application/json", "sec-fetch-site": "cross-site" }, data: body },
  ];
  for (const attempt of attempts) {
    const res = await request.post("/api/trpc/system.updateSettings", attempt);
    expect([403, 415], JSON.stringify(attempt.headers ?? "multipart")).toContain(res.status());
  }
  expect(await read()).toBe(before);
  // The dashboard's own JSON mutation still works.
  const ok = await request.post("/api/trpc/system.updateSettings", { data: { maxAttempts: before } });
  expect(ok.status()).toBe(200);
});

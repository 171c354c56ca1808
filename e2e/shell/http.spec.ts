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

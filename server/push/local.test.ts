import http from "node:http";
import type net from "node:net";

import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

import { createLocalPushProvider, decodeLoopbackWakeUrl } from "./local";

const hex = (text: string) => Buffer.from(text, "utf8").toString("hex");

type Received = { method: string; url: string; contentType: string | undefined; body: string };
const received: Received[] = [];
let status = 200;
let server: http.Server;
let port: number;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ method: req.method ?? "", url: req.url ?? "", contentType: req.headers["content-type"], body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as net.AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("createLocalPushProvider", () => {
  it("[PUSH][LOCAL]: delivers to an in-process listener until it unregisters", async () => {
    const push = createLocalPushProvider();
    const listener = vi.fn();
    const unregister = push.register("UDID-1", listener);
    const target = { udid: "UDID-1", token: "00ff", pushMagic: "MAGIC-1", topic: "com.apple.mgmt.External.test" };
    expect(await push.push([target])).toEqual([{ udid: "UDID-1", ok: true }]);
    expect(listener).toHaveBeenCalledWith(target);
    unregister();
    expect(await push.push([target])).toEqual([{ udid: "UDID-1", ok: false, permanent: false, reason: "no local listener for this device" }]);
    expect(listener).toHaveBeenCalledTimes(1);
  });

  it("[PUSH][LOCAL]: a throwing listener is a transient failure", async () => {
    const push = createLocalPushProvider();
    push.register("UDID-1", () => {
      throw new Error("boom");
    });
    expect(await push.push([{ udid: "UDID-1", token: "00", pushMagic: "M", topic: "t" }])).toEqual([
      { udid: "UDID-1", ok: false, permanent: false, reason: "listener failed: boom" },
    ]);
  });

  it("[PUSH][LOCAL]: POSTs {mdm: PushMagic} to the loopback URL carried in the token", async () => {
    received.length = 0;
    status = 200;
    const push = createLocalPushProvider();
    const token = hex(`http://127.0.0.1:${port}/wake/UDID-2`);
    expect(await push.push([{ udid: "UDID-2", token, pushMagic: "MAGIC-2", topic: "t" }])).toEqual([{ udid: "UDID-2", ok: true }]);
    expect(received).toEqual([{ method: "POST", url: "/wake/UDID-2", contentType: "application/json", body: '{"mdm":"MAGIC-2"}' }]);
  });

  it("[PUSH][LOCAL]: a 410 from the virtual Mac is a permanent Unregistered", async () => {
    status = 410;
    const push = createLocalPushProvider();
    const token = hex(`http://127.0.0.1:${port}/wake/UDID-3`);
    expect(await push.push([{ udid: "UDID-3", token, pushMagic: "M", topic: "t" }])).toEqual([
      { udid: "UDID-3", ok: false, permanent: true, status: 410, reason: "Unregistered" },
    ]);
    status = 200;
  });

  it("[PUSH][LOCAL]: a 500 from the virtual Mac is transient", async () => {
    status = 500;
    const fetchSpy = vi.fn(fetch);
    const push = createLocalPushProvider({ fetch: fetchSpy });
    const token = hex(`http://localhost:${port}/wake/UDID-4`);
    expect(await push.push([{ udid: "UDID-4", token, pushMagic: "M", topic: "t" }])).toEqual([
      { udid: "UDID-4", ok: false, permanent: false, status: 500, reason: "HTTP 500" },
    ]);
    expect(fetchSpy).toHaveBeenCalledTimes(1);
    status = 200;
  });

  it("[PUSH][LOCAL]: a real APNs token is not ok and not permanent, and nothing is contacted", async () => {
    const fetchSpy = vi.fn(fetch);
    const push = createLocalPushProvider({ fetch: fetchSpy });
    const token = "5d1a4f8e".repeat(8);
    expect(await push.push([{ udid: "UDID-5", token, pushMagic: "M", topic: "t" }])).toEqual([
      { udid: "UDID-5", ok: false, permanent: false, reason: "no local listener for this device" },
    ]);
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it("[PUSH][LOCAL]: only loopback URLs are accepted", () => {
    expect(decodeLoopbackWakeUrl(hex("http://127.0.0.1:8080/wake"))?.href).toBe("http://127.0.0.1:8080/wake");
    expect(decodeLoopbackWakeUrl(hex("http://localhost:8080/wake"))?.hostname).toBe("localhost");
    expect(decodeLoopbackWakeUrl(hex("http://[::1]:8080/wake"))?.hostname).toBe("[::1]");
    expect(decodeLoopbackWakeUrl(hex("http://127.0.0.1:80@example.com/wake"))).toBeUndefined();
    expect(decodeLoopbackWakeUrl(hex("http://example.com:8080/wake"))).toBeUndefined();
    expect(decodeLoopbackWakeUrl(hex("https://127.0.0.1:8080/wake"))).toBeUndefined();
    expect(decodeLoopbackWakeUrl("not hex")).toBeUndefined();
  });
});

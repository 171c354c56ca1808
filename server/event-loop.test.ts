import http from "node:http";
import net from "node:net";
import { performance } from "node:perf_hooks";

import { afterEach, describe, expect, it } from "vitest";

import { acceptsSettled, noteConnection, yieldToRequests } from "./event-loop";

const servers: http.Server[] = [];
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** Busy for `ms` without letting the event loop turn, as a slice of a pass is. */
function slice(ms: number) {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // working
  }
}

describe("yieldToRequests", () => {
  it("lets every connection that arrived during a slice be accepted before the next slice", async () => {
    const server = http.createServer((_req, res) => res.end());
    servers.push(server);
    let seen = 0;
    server.on("connection", () => {
      seen++;
      noteConnection();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as net.AddressInfo;
    // Twenty Macs connect together (Node issues the connect calls on the next tick), then a slice runs: the
    // kernel completes their handshakes meanwhile, and they wait in the accept queue.
    for (let i = 0; i < 20; i++) sockets.push(net.connect(port, "127.0.0.1"));
    await new Promise((resolve) => process.nextTick(resolve));
    slice(50);
    await yieldToRequests();
    // libuv accepts one connection per turn: one yield alone would leave most of them waiting.
    expect(seen).toBe(20);
  });

  it("returns after one turn when no connection is waiting", async () => {
    let turns = 0;
    const timer = setInterval(() => turns++, 0);
    await yieldToRequests();
    clearInterval(timer);
    expect(turns).toBeLessThanOrEqual(2);
  });
});

describe("acceptsSettled", () => {
  it("is undefined when no connection is being accepted", () => {
    expect(acceptsSettled()).toBeUndefined();
  });

  it("holds requests read during a burst of connections until every connection of the burst is accepted", async () => {
    let seen = 0;
    const seenWhenHandled: number[] = [];
    const server = http.createServer((req, res) => {
      void (async () => {
        const burst = acceptsSettled();
        if (burst) await burst;
        seenWhenHandled.push(seen);
        slice(5); // each request's own work, which made every turn of the burst long
        res.end();
      })();
    });
    servers.push(server);
    server.on("connection", () => {
      seen++;
      noteConnection();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as net.AddressInfo;
    // Twenty Macs connect together and send their first request at once; the server is busy meanwhile.
    const answered = Array.from({ length: 20 }, () => {
      const socket = net.connect(port, "127.0.0.1", () => socket.write("PUT /mdm HTTP/1.1\r\nHost: pomona\r\nContent-Length: 0\r\n\r\n"));
      sockets.push(socket);
      return new Promise<void>((resolve) => socket.once("data", () => resolve()));
    });
    await new Promise((resolve) => setTimeout(resolve, 20)); // the connects and writes are issued
    slice(50);
    await Promise.all(answered);
    expect(seenWhenHandled).toHaveLength(20);
    // Without the wait, the first request ran once two connections were in (one accepted per turn).
    expect(Math.min(...seenWhenHandled)).toBe(20);
    expect(acceptsSettled()).toBeUndefined();
  });
});

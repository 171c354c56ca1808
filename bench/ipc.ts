// Parent ↔ server-child plumbing: every server under test (Pomona, B0, B1) runs in its own process, started
// with tsx, answers `{ id, type, ... }` requests over the IPC channel and announces `{ type: "ready", port }`.
import { fork, type ChildProcess } from "node:child_process";
import { monitorEventLoopDelay } from "node:perf_hooks";

export type IpcRequest = { id: number; type: string; [key: string]: unknown };
export type IpcReply = { id: number; ok: boolean; result?: unknown; error?: string };
export type IpcPush = { type: "push"; udids: string[] };
export type IpcReady = { type: "ready"; port: number };
type ChildMessage = IpcReply | IpcPush | IpcReady | { type: "log"; line: string };

export type Rss = { rss: number; heapUsed: number; external: number; eventLoopMaxMs: number; eventLoopP99Ms: number };

export type ServerHandle = {
  port: number;
  pid: number;
  request<T = unknown>(type: string, payload?: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  onPush(listener: (udids: string[]) => void): void;
  /** Samples RSS every `everyMs` until stopped; returns the samples. */
  sampleRss(everyMs: number): { stop(): Promise<Rss[]> };
  stop(): Promise<void>;
};

/**
 * Node flags for the processes under test (servers, the engine phases) from BENCH_CHILD_NODE_ARGS, e.g. to
 * profile them: BENCH_CHILD_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" npm run bench -- --only g1
 */
export function childNodeArgs(): string[] {
  return (process.env.BENCH_CHILD_NODE_ARGS ?? "").split(/\s+/).filter(Boolean);
}

/**
 * The node flags Pomona's server runs with, as `npm start` sets them (package.json): a 32 MB semi-space makes
 * young-generation collections half as frequent as the default 16 MB, which took G5's p99 from 2.5 ms to 0.4 ms.
 * The minimum is the same 32 MB: V8 otherwise starts at 1 MB and grows the semi-spaces only under some load,
 * so a server's memory rose by about 100 MiB at a moment nobody chose, in one G1 run and not another (G6
 * measured 1,842 B and 2,403 B per Mac on the same tree; 650 B with the minimum set). G5's process grows
 * them to 32 MB either way (3.0–3.7 ms collections with or without the minimum, by --trace-gc). The bench
 * gives them to Pomona's processes, not to the baselines.
 * Without allocation-site pretenuring: V8 otherwise decides, from what survived at a site early on, to
 * allocate that site's objects in the old generation from then on, and a Mac's key referenced from one of
 * them was promoted and freed in a mark-compact, not a young collection (device-auth.ts, CERT_CACHE_LIMIT).
 */
export const POMONA_NODE_FLAGS = ["--max-semi-space-size=32", "--min-semi-space-size=32", "--no-allocation-site-pretenuring"];

/** Starts `script` (a .ts file) as a child with tsx, passing `args`; resolves once it listens. */
export function startServer(script: string, args: string[], options: { quiet?: boolean; nodeFlags?: string[] } = {}): Promise<ServerHandle> {
  const execArgv = ["--import", "tsx", ...(options.nodeFlags ?? []), ...childNodeArgs()];
  const child: ChildProcess = fork(script, args, { execArgv, stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  const pushListeners: ((udids: string[]) => void)[] = [];
  let nextId = 1;
  let exited = false;

  return new Promise((resolveReady, rejectReady) => {
    const onExit = (code: number | null, signal: string | null) => {
      exited = true;
      for (const p of pending.values()) p.reject(new Error(`server exited (${code ?? signal})`));
      pending.clear();
      rejectReady(new Error(`server ${script} exited before it was ready (${code ?? signal})`));
    };
    child.once("exit", onExit);
    child.on("message", (raw) => {
      const m = raw as ChildMessage;
      if ("id" in m) {
        const p = pending.get(m.id);
        if (!p) return;
        pending.delete(m.id);
        clearTimeout(p.timer);
        if (m.ok) p.resolve(m.result);
        else p.reject(new Error(m.error ?? "request failed"));
        return;
      }
      if (m.type === "push") for (const l of pushListeners) l(m.udids);
      if (m.type === "log" && !options.quiet) console.log(m.line);
      if (m.type === "ready") {
        const handle: ServerHandle = {
          port: m.port,
          pid: child.pid ?? -1,
          request<T>(type: string, payload: Record<string, unknown> = {}, timeoutMs = 600_000) {
            if (exited) return Promise.reject(new Error("server has exited"));
            const id = nextId++;
            return new Promise<T>((resolve, reject) => {
              const timer = setTimeout(() => {
                pending.delete(id);
                reject(new Error(`server request ${type} timed out`));
              }, timeoutMs);
              pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
              child.send({ id, type, ...payload });
            });
          },
          onPush: (l) => void pushListeners.push(l),
          sampleRss(everyMs) {
            const samples: Rss[] = [];
            let stopped = false;
            const loop = async () => {
              while (!stopped) {
                try {
                  samples.push(await handle.request<Rss>("rss", {}, 30_000));
                } catch {
                  /* a busy child answers late; the next sample still counts */
                }
                await new Promise((r) => setTimeout(r, everyMs));
              }
            };
            const running = loop();
            return {
              async stop() {
                stopped = true;
                await running;
                return samples;
              },
            };
          },
          stop() {
            if (exited) return Promise.resolve();
            return new Promise<void>((resolve) => {
              const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
              child.once("exit", () => {
                clearTimeout(timer);
                resolve();
              });
              child.kill("SIGTERM");
            });
          },
        };
        child.off("exit", onExit);
        child.once("exit", () => {
          exited = true;
          for (const p of pending.values()) p.reject(new Error("server exited"));
          pending.clear();
        });
        resolveReady(handle);
      }
    });
  });
}

type Handler = (msg: IpcRequest) => unknown;

/** Child side: answers requests with `handlers`, plus `rss` (memory and event-loop delay since the last call). */
export function serveIpc(handlers: Record<string, Handler>) {
  const eld = monitorEventLoopDelay({ resolution: 5 });
  eld.enable();
  const builtin: Record<string, Handler> = {
    rss: () => {
      const m = process.memoryUsage();
      const out: Rss = { rss: m.rss, heapUsed: m.heapUsed, external: m.external, eventLoopMaxMs: eld.max / 1e6, eventLoopP99Ms: eld.percentile(99) / 1e6 };
      eld.reset();
      return out;
    },
  };
  process.on("message", (raw) => {
    const msg = raw as IpcRequest;
    const handler = handlers[msg.type] ?? builtin[msg.type];
    if (!handler) return void process.send?.({ id: msg.id, ok: false, error: `unknown request ${msg.type}` });
    Promise.resolve()
      .then(() => handler(msg))
      .then(
        (result) => process.send?.({ id: msg.id, ok: true, result }),
        (e: unknown) => process.send?.({ id: msg.id, ok: false, error: e instanceof Error ? e.message : String(e) }),
      );
  });
  process.once("SIGTERM", () => process.exit(0));
  process.once("disconnect", () => process.exit(0));
}

export const announceReady = (port: number) => process.send?.({ type: "ready", port });

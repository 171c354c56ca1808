// Shared setup for the App Installer, Self Service and dashboard stories: tRPC over HTTP (as a script would
// call it, with the admin API token), virtual Macs from simulator/, and a driver that moves simulated time.
import { expect, type APIRequestContext } from "@playwright/test";

import { createFleet, generateFleetSpecs, type Fleet, type FleetOptions } from "../../simulator/fleet";

export const ENROLL_TOKEN = "e2e-enroll-token-0123456789abcdef";
const AUTH = { authorization: "Bearer e2e-admin-token-0123456789abcdef" };
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

type TrpcEnvelope<T> = { result?: { data: T }; error?: { message: string } };

export async function trpcQuery<T>(request: APIRequestContext, path: string, input?: unknown): Promise<T> {
  const query = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`;
  const res = await request.get(`/api/trpc/${path}${query}`, { headers: AUTH });
  const body = (await res.json()) as TrpcEnvelope<T>;
  if (!res.ok() || !body.result) throw new Error(`${path} failed (${res.status()}): ${body.error?.message ?? "no result"}`);
  return body.result.data;
}

export async function trpcMutation<T>(request: APIRequestContext, path: string, input?: unknown): Promise<T> {
  const res = await request.post(`/api/trpc/${path}`, { headers: AUTH, data: input ?? {} });
  const body = (await res.json()) as TrpcEnvelope<T>;
  if (!res.ok() || !body.result) throw new Error(`${path} failed (${res.status()}): ${body.error?.message ?? "no result"}`);
  return body.result.data;
}

/** A unique suffix, so every story's names stay apart in the one database of a run. */
export const unique = () => `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`;

export type StatusCounts = Record<"in_progress" | "self_service_available" | "installed" | "unqualified" | "failed", number>;

export async function titleIdOf(request: APIRequestContext, bundleId: string): Promise<number> {
  const titles = await trpcQuery<{ id: number; bundleId: string }[]>(request, "catalog.list");
  const title = titles.find((t) => t.bundleId === bundleId);
  if (!title) throw new Error(`no catalog title ${bundleId}`);
  return title.id;
}

/** A smart group of exactly these serial numbers (criteria joined with `or`). */
export async function createSerialGroup(request: APIRequestContext, name: string, serials: string[]): Promise<number> {
  const criteria = serials.map((value, i) => ({ ...(i > 0 ? { joiner: "or" } : {}), field: "Serial Number", operator: "is", value }));
  const { id } = await trpcMutation<{ id: number }>(request, "smartGroups.create", { name, criteria });
  return id;
}

export async function tick(request: APIRequestContext, advanceMs: number) {
  return trpcMutation<{ now: string }>(request, "system.tick", { advanceMs });
}

export type StartedFleet = { fleet: Fleet; specs: ReturnType<typeof generateFleetSpecs>; computerIds: Map<string, number> };

/**
 * Starts `devices` virtual Macs from `seed` and waits until Pomona knows each one's macOS version and
 * architecture (DeviceInformation answered), so compatibility can be judged. Returns their computer ids by serial.
 */
export async function startFleet(
  request: APIRequestContext,
  baseURL: string,
  options: { seed: number; devices: number } & Partial<Pick<FleetOptions, "failureRate" | "appleSiliconShare">>,
): Promise<StartedFleet> {
  const fleet = createFleet({ server: baseURL, token: ENROLL_TOKEN, pollIntervalMs: 1000, installDurationMs: [100, 300], openAppRate: 0, ...options });
  const specs = generateFleetSpecs(options.seed, options.devices, options.appleSiliconShare);
  await fleet.start();
  const computerIds = new Map<string, number>();
  await expect
    .poll(
      async () => {
        for (const spec of specs) {
          const { items } = await trpcQuery<{ items: { id: number; serialNumber: string | null; architecture: string | null; osVersion: string | null; name: string }[] }>(
            request,
            "computers.list",
            { search: spec.serialNumber },
          );
          const c = items.find((i) => i.serialNumber === spec.serialNumber);
          if (c?.architecture && c.osVersion && c.name) computerIds.set(spec.serialNumber, c.id);
        }
        return computerIds.size;
      },
      { message: "every virtual Mac reports its device information", timeout: 30_000, intervals: [500, 1000] },
    )
    .toBe(specs.length);
  return { fleet, specs, computerIds };
}

/**
 * Moves simulated time in steps, giving the Macs a moment of real time to answer after each, until
 * `done(counts)` holds for the App Installer's status counts.
 */
export async function driveUntil(
  request: APIRequestContext,
  deploymentId: number,
  done: (counts: StatusCounts) => boolean,
  options: { stepMs?: number; maxSteps?: number; pauseMs?: number } = {},
): Promise<StatusCounts> {
  const { stepMs = 5 * MINUTE, maxSteps = 60, pauseMs = 1200 } = options;
  let counts = (await trpcQuery<{ counts: StatusCounts }>(request, "deployments.get", { id: deploymentId })).counts;
  for (let i = 0; i < maxSteps && !done(counts); i++) {
    await tick(request, stepMs);
    await new Promise((r) => setTimeout(r, pauseMs));
    counts = (await trpcQuery<{ counts: StatusCounts }>(request, "deployments.get", { id: deploymentId })).counts;
  }
  expect(done(counts), `App Installer ${deploymentId} never reached the expected counts: ${JSON.stringify(counts)}`).toBe(true);
  return counts;
}

export function screenshotPath(name: string) {
  return `e2e/.artifacts/screenshots/${name}.png`;
}

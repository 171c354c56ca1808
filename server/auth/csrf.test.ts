import { describe, expect, it } from "vitest";

import { ownOriginsOf } from "@/server/auth/origins";

import { checkMutationRequest } from "./csrf";

const own = ["http://localhost:3000", "https://mdm.example.com"];
const h = (init: Record<string, string>) => new Headers(init);

describe("checkMutationRequest", () => {
  it.each([
    ["multipart/form-data", { "content-type": "multipart/form-data; boundary=x" }, 415],
    ["urlencoded", { "content-type": "application/x-www-form-urlencoded" }, 415],
    ["text/plain", { "content-type": "text/plain" }, 415],
    ["no content type", {}, 415],
    ["JSON from a foreign Origin", { "content-type": "application/json", origin: "https://evil.example" }, 403],
    ["JSON from an opaque origin", { "content-type": "application/json", origin: "null" }, 403],
    ["JSON marked cross-site by the browser", { "content-type": "application/json", "sec-fetch-site": "cross-site" }, 403],
  ] as const)("refuses %s", (_name, headers, status) => {
    expect(checkMutationRequest(h(headers), own)?.status).toBe(status);
  });

  it.each([
    ["JSON from this site", { "content-type": "application/json", origin: "http://localhost:3000", "sec-fetch-site": "same-origin" }],
    ["JSON with a charset from the public URL", { "content-type": "application/json; charset=utf-8", origin: "https://mdm.example.com" }],
    ["JSON from a script (no Origin)", { "content-type": "application/json", authorization: "Bearer x" }],
  ] as const)("lets through %s", (_name, headers) => {
    expect(checkMutationRequest(h(headers), own)).toBeUndefined();
  });

  it("knows the request's own origins, behind a TLS proxy too", () => {
    const req = new Request("http://127.0.0.1:3000/api/trpc/x", { headers: { host: "mdm.example.com", "x-forwarded-proto": "https" } });
    expect(ownOriginsOf(req, "http://localhost:3000").sort()).toEqual(["http://127.0.0.1:3000", "http://localhost:3000", "https://mdm.example.com"]);
  });
});

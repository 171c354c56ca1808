import { describe, expect, it } from "vitest";

import { clientIpFromSocket } from "./origins";

describe("clientIpFromSocket", () => {
  it("believes forwarding headers only from a proxy on this machine", () => {
    expect(clientIpFromSocket("203.0.113.9", { realIp: "10.1.1.1", forwardedFor: "10.2.2.2" })).toBe("203.0.113.9");
    expect(clientIpFromSocket("::ffff:203.0.113.9", {})).toBe("203.0.113.9");
    expect(clientIpFromSocket("127.0.0.1", { realIp: "198.51.100.7" })).toBe("198.51.100.7");
    // X-Forwarded-For: the last hop is the one our proxy appended; earlier entries are the client's to forge.
    expect(clientIpFromSocket("::1", { forwardedFor: "1.2.3.4, 198.51.100.8" })).toBe("198.51.100.8");
    expect(clientIpFromSocket("127.0.0.1", {})).toBe("127.0.0.1");
    expect(clientIpFromSocket(undefined, { realIp: "1.2.3.4" })).toBeUndefined();
  });
});

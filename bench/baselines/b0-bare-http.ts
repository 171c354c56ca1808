// B0: the HTTP ceiling. A bare node:http handler that reads the body and answers an empty 200, driven by the
// same load generator with the same signed bodies: whatever Pomona does above this is its own cost.
import http from "node:http";

import { announceReady, serveIpc } from "../ipc";

const server = http.createServer((req, res) => {
  req.on("data", () => {});
  req.on("end", () => {
    res.writeHead(200, { "content-length": "0" });
    res.end();
  });
});
server.keepAliveTimeout = 65_000;
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
serveIpc({});
announceReady((server.address() as { port: number }).port);

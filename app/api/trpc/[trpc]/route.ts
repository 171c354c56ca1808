import { fetchRequestHandler } from "@trpc/server/adapters/fetch";

import { getDeps } from "@/server/deps";
import { ownOriginsOf } from "@/server/auth/origins";
import { checkMutationRequest } from "@/server/auth/csrf";
import { createContext } from "@/server/trpc/context";
import { appRouter } from "@/server/trpc/root";

const handle = (req: Request) => fetchRequestHandler({ endpoint: "/api/trpc", req, router: appRouter, createContext: ({ req }) => createContext({ req }) });

function POST(req: Request) {
  const refusal = checkMutationRequest(req.headers, ownOriginsOf(req, getDeps().publicUrl));
  if (refusal) return Response.json({ error: { message: refusal.message } }, { status: refusal.status });
  return handle(req);
}

export { handle as GET, POST };

// better-auth's endpoints (sign-in, sign-out, session, change-password) at /api/auth/*.
import { toNextJsHandler } from "better-auth/next-js";

import { getAuth } from "@/server/auth/auth";
import { getDeps } from "@/server/deps";

const handle = (req: Request) => toNextJsHandler(getAuth(getDeps())).POST(req);
const handleGet = (req: Request) => toNextJsHandler(getAuth(getDeps())).GET(req);

export { handleGet as GET, handle as POST };

// better-auth's endpoints (sign-in, sign-out, session, change-password) at /api/auth/*, behind the CSRF gate.
import { handleAuthRequest } from "@/server/auth/auth";
import { getDeps } from "@/server/deps";

const handle = (req: Request) => handleAuthRequest(getDeps(), req);

export { handle as GET, handle as POST };

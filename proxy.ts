// Tells the dashboard's layout which page was asked for, so a sign-in can return there. Only that: who may
// see what is decided in the layout and in every tRPC procedure, never here (CVE-2025-29927 let a request
// skip Next.js middleware entirely).
import { NextResponse, type NextRequest } from "next/server";

export function proxy(request: NextRequest) {
  const headers = new Headers(request.headers);
  headers.set("x-pathname", `${request.nextUrl.pathname}${request.nextUrl.search}`);
  return NextResponse.next({ request: { headers } });
}

export const config = { matcher: ["/((?!api/|mdm|_next/|icon.svg|login).*)"] };

// One error type for every expected failure a service reports; server/trpc/init.ts maps it to tRPC codes.

export type AppErrorCode = "BAD_REQUEST" | "NOT_FOUND" | "CONFLICT" | "UNAUTHORIZED" | "FORBIDDEN" | "PRECONDITION_FAILED" | "TOO_MANY_REQUESTS";

export class AppError extends Error {
  constructor(
    readonly code: AppErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "AppError";
  }
}

// By name, not instanceof: Next bundles its own copy of server/ modules (DESIGN §1), so the class differs.
export function isAppError(e: unknown): e is AppError {
  return e instanceof Error && e.name === "AppError" && "code" in e;
}

// What every /mdm handler returns; the node:http adapter (http.ts) writes it.
export type MdmHttpResult = { status: number; headers?: Record<string, string>; body?: string | Buffer };

export function textResult(status: number, message: string, headers: Record<string, string> = {}): MdmHttpResult {
  return { status, headers: { "content-type": "text/plain; charset=utf-8", ...headers }, body: `${message}\n` };
}

// GET /deployments/<id>/targets.csv[?status=…]: every page of the per-computer table, streamed as CSV.
import { TRPCError } from "@trpc/server";

import { TARGET_STATUS_ORDER } from "@/components/ui/status-badge";

import { api } from "../../../../_trpc/server";

import { csvFilename, csvRow } from "./csv";

const PAGE_SIZE = 1000;

const HEADER = ["Computer", "UDID", "Status", "Phase", "Reason", "Attempts", "Target version", "Last error", "Next attempt at", "Last update"];

export async function GET(req: Request, ctx: { params: Promise<{ id: string }> }) {
  const id = Number((await ctx.params).id);
  const statusParam = new URL(req.url).searchParams.get("status");
  const status = TARGET_STATUS_ORDER.find((s) => s === statusParam);
  if (!Number.isSafeInteger(id) || id < 1 || (statusParam !== null && status === undefined)) return new Response("Not found\n", { status: 404 });

  let deployment;
  try {
    deployment = await api().deployments.get({ id });
  } catch (e) {
    if (e instanceof TRPCError && e.code === "NOT_FOUND") return new Response("Not found\n", { status: 404 });
    throw e;
  }

  const encoder = new TextEncoder();
  let page = 1;
  let headerSent = false;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!headerSent) {
        headerSent = true;
        controller.enqueue(encoder.encode(`\uFEFF${csvRow(HEADER)}`));
      }
      const { items, total } = await api().deployments.targets({ id, status, page, pageSize: PAGE_SIZE });
      const rows = items.map((t) =>
        csvRow([t.computerName, t.udid, t.status, t.phase, t.reason, t.attempts, t.targetVersion, t.lastError, t.nextAttemptAt?.toISOString(), t.updatedAt.toISOString()]),
      );
      if (rows.length > 0) controller.enqueue(encoder.encode(rows.join("")));
      if (items.length === 0 || page * PAGE_SIZE >= total) controller.close();
      page++;
    },
  });

  const name = csvFilename(deployment.name, status ? `${status}-computers` : "computers");
  return new Response(stream, {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="${name.ascii}"; filename*=UTF-8''${encodeURIComponent(name.utf8)}`,
      "cache-control": "no-store",
    },
  });
}

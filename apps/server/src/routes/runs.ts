// Runs: list, detail with steps, pause/resume/cancel, and live events over SSE.

import type { Json } from "@weft/kernel";
import { type RunEvent, RunNotWaitingError } from "@weft/runtime";
import { audit, type RouteContext } from "../context.ts";
import { ApiError, ServerErrorCode } from "../errors.ts";
import { type AnyRoute, defineRoute, ok } from "../http/route.ts";
import { openEventStream } from "../http/sse.ts";
import {
  idParams,
  nodeParams,
  pageOf,
  pruneBody,
  pruneResultSchema,
  resumeBody,
  runDetailSchema,
  runListQuery,
  runSchema,
} from "../schemas.ts";

const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);

/**
 * Waits a caller may end with any payload. Approvals are decided through /api/approvals (role checks,
 * one decision), and delays end on their own.
 */
const RESUMABLE_WAITS = new Set(["webhook", "event"]);

/** A run without the kernel's raw state (internal; the steps say the same thing per node). */
function publicRun(run: { state?: unknown; status: string }): { status: string } & Record<string, unknown> {
  const { state: _state, ...rest } = run;
  return rest;
}

export function runRoutes(c: RouteContext): AnyRoute[] {
  const load = async (id: string) => {
    const run = await c.store.runs.get(id);
    if (!run) throw new ApiError(ServerErrorCode.NotFound, `run ${id} not found`, { runId: id });
    return run;
  };
  const detail = async (id: string) => ({ ...publicRun(await load(id)), steps: await c.store.runs.listSteps(id) });

  const control = (action: "pause" | "resume" | "cancel", summary: string): AnyRoute =>
    defineRoute({
      method: "post",
      path: `/api/runs/:id/${action}`,
      operationId: `${action}Run`,
      summary,
      tag: "runs",
      access: "operator",
      params: idParams,
      responses: {
        200: { description: "The run after the request.", schema: runSchema },
        409: { description: "The run is not in a state that allows it (WEFT_E_RUN_NOT_ACTIVE)." },
      },
      handler: async ({ params, actor }) => {
        const before = await load(params.id);
        if (action === "pause") await c.runtime.pauseRun(params.id);
        else if (action === "resume") await c.runtime.unpauseRun(params.id);
        else await c.runtime.cancelRun(params.id);
        const after = await load(params.id);
        await audit(c, actor, `run.${action}`, `run:${params.id}`, {
          before: { status: before.status },
          after: { status: after.status },
        });
        return ok(publicRun(after));
      },
    });

  return [
    defineRoute({
      method: "get",
      path: "/api/runs",
      operationId: "listRuns",
      summary: "List runs (filter by workflow, status, trigger kind, time; paginated, newest first)",
      tag: "runs",
      access: "viewer",
      query: runListQuery,
      responses: { 200: { description: "A page of runs.", schema: pageOf(runSchema) } },
      handler: async ({ query }) => {
        const page = await c.store.runs.list(query);
        return ok({ items: page.items.map(publicRun), total: page.total, limit: query.limit, offset: query.offset });
      },
    }),
    defineRoute({
      method: "post",
      path: "/api/runs/prune",
      operationId: "pruneRuns",
      summary: "Delete finished runs older than N days, with their steps (retention)",
      description:
        "Deletes succeeded, failed and cancelled runs that finished more than `olderThanDays` days ago, with " +
        "their steps and approvals, `batchSize` runs per transaction. Queued, running, paused and waiting runs " +
        "are never deleted. Recorded in the audit trail.",
      tag: "runs",
      access: "admin",
      body: pruneBody,
      responses: { 200: { description: "How many runs were deleted.", schema: pruneResultSchema } },
      handler: async ({ body, actor }) => {
        const deleted = await c.store.runs.prune(body.olderThanDays, body.batchSize);
        await audit(c, actor, "run.prune", "run", {
          after: { olderThanDays: body.olderThanDays, batchSize: body.batchSize ?? null, deleted },
        });
        return ok({ deleted });
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/runs/:id",
      operationId: "getRun",
      summary: "A run with its steps (one per node attempt)",
      tag: "runs",
      access: "viewer",
      params: idParams,
      responses: { 200: { description: "The run.", schema: runDetailSchema } },
      handler: async ({ params }) => ok(await detail(params.id)),
    }),
    control("pause", "Pause a running run (nodes in flight finish; nothing new starts)"),
    control("resume", "Resume a paused run"),
    control("cancel", "Cancel a run (aborts nodes in flight)"),
    defineRoute({
      method: "post",
      path: "/api/runs/:id/nodes/:nodeId/resume",
      operationId: "resumeRunNode",
      summary: "Resume a node waiting for a webhook call (or an event), with the body as its payload",
      description:
        "The node must be waiting with a wait of kind `webhook` or `event`; the run continues from it, and the " +
        "node sees the body (any JSON; `{}` when empty) as its resume payload. Approvals are decided through " +
        "`/api/approvals/:id/approve|reject`, and delays end on their own.",
      tag: "runs",
      access: "operator",
      params: nodeParams,
      body: resumeBody,
      responses: {
        202: { description: "The resume was accepted; the run continues.", schema: runSchema },
        409: {
          description:
            "The run or node is not waiting (WEFT_E_RUN_NOT_WAITING), or waits for something else (WEFT_E_CONFLICT).",
        },
      },
      handler: async ({ params, body, actor }) => {
        const run = await load(params.id);
        const node = run.state?.nodes[params.nodeId];
        if (run.state && !node) {
          throw new ApiError(ServerErrorCode.NotFound, `run ${params.id} has no node ${params.nodeId}`, {
            runId: params.id,
            nodeId: params.nodeId,
          });
        }
        if (run.status !== "waiting" || node?.status !== "waiting")
          throw new RunNotWaitingError(params.id, params.nodeId, node?.status ?? run.status);
        const kind = node.wait?.kind ?? "unknown";
        if (!RESUMABLE_WAITS.has(kind)) {
          throw new ApiError(
            ServerErrorCode.Conflict,
            `node ${params.nodeId} of run ${params.id} waits for ${kind === "approval" ? "an approval (decide it through /api/approvals)" : `a ${kind}`}, not a webhook call`,
            { runId: params.id, nodeId: params.nodeId, waitKind: kind },
          );
        }
        await c.runtime.resumeRun(params.id, params.nodeId, (body ?? {}) as Json);
        await audit(c, actor, "run.resume_node", `run:${params.id}`, {
          after: { nodeId: params.nodeId, waitKind: kind },
        });
        return ok(publicRun(await load(params.id)), 202);
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/runs/:id/events",
      operationId: "streamRunEvents",
      summary: "Live run events (Server-Sent Events), then the terminal state",
      description:
        "Events: `snapshot` (the run when the stream opened), then each `run.started`, `node.started`, " +
        "`node.finished`, `node.skipped`, `run.suspended`, `run.finished` as it happens, and finally `end` " +
        "with the run and its steps once the run is terminal; the server then closes the stream. " +
        "EventSource clients that cannot send headers may pass `?access_token=<key>`.",
      tag: "runs",
      access: "viewer",
      params: idParams,
      stream: true,
      responses: { 200: { description: "text/event-stream" } },
      handler: async ({ params, ctx }) => {
        const first = await load(params.id);
        const stream = openEventStream(ctx);
        let ending = false;
        const end = async () => {
          if (ending) return;
          ending = true;
          unsubscribe();
          try {
            // The live event may overtake the final checkpoint; give the store a moment to agree.
            let run = await detail(params.id);
            for (let i = 0; i < 20 && !TERMINAL.has(run.status); i++) {
              await new Promise((resolve) => setTimeout(resolve, 100));
              run = await detail(params.id);
            }
            stream.send("end", run);
          } catch (error) {
            c.logger.warn({ err: error, runId: params.id }, "could not read the run to end its event stream");
          } finally {
            stream.close();
          }
        };
        const unsubscribe = c.runtime.subscribe(params.id, (event: RunEvent) => {
          stream.send(event.type, event);
          if (event.type === "run.finished") void end();
        });
        stream.signal.addEventListener("abort", () => unsubscribe());
        stream.send("snapshot", publicRun(first));
        // Subscribed before re-reading, so a run finishing in between is seen by one or the other.
        const current = await c.store.runs.get(params.id);
        if (!current || TERMINAL.has(current.status)) await end();
        return undefined;
      },
    }),
  ];
}

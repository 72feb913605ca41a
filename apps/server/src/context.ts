// What every route module receives: the services, the server's settings and the audit trail.
import type { Logger } from "pino";
import type { ServerCatalog, ServerRuntime, ServerStore } from "./deps.ts";
import { ApiError, ServerErrorCode } from "./errors.ts";
import type { Actor } from "./http/route.ts";
import type { HttpMetrics } from "./metrics.ts";

export interface RouteContext {
  store: ServerStore;
  runtime: ServerRuntime;
  catalog: ServerCatalog;
  logger: Logger;
  metrics: HttpMetrics;
  version: string;
  /** Accepted clock difference of webhook timestamps, in seconds. */
  webhookToleranceSec: number;
  /** Drops cached key verifications (after a revocation). */
  forgetKeys(): void;
}

/** The workflow `id`, or a 404 naming it. */
export async function loadWorkflow(ctx: RouteContext, id: string) {
  const workflow = await ctx.store.workflows.get(id);
  if (!workflow) throw new ApiError(ServerErrorCode.NotFound, `workflow ${id} not found`, { workflowId: id });
  return workflow;
}

/** Records one write in the audit trail. `target` is `<type>:<id>`, or `<type>` for a write to many. */
export async function audit(
  ctx: RouteContext,
  actor: Actor | string | undefined,
  action: string,
  target: string,
  change: { before?: unknown; after?: unknown } = {},
): Promise<void> {
  await ctx.store.audit.record({
    actor: typeof actor === "string" ? actor : (actor?.id ?? "anonymous"),
    action,
    target,
    ...(change.before === undefined ? {} : { before: toJson(change.before) }),
    ...(change.after === undefined ? {} : { after: toJson(change.after) }),
  });
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Records are JSON already; this drops `undefined` fields the database would refuse. */
function toJson(value: unknown): Json {
  return JSON.parse(JSON.stringify(value ?? null)) as Json;
}

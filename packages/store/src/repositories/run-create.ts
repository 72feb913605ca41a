// Creating a run: one statement resolves the version and inserts the row. Shared by the run
// repository and by publish-and-run, which runs the same insert inside its own ORM transaction.
import type { Json } from "../records.ts";

export interface CreateRunInput {
  workflowId: string;
  /** The version to run; defaults to `version`'s row, else the workflow's latest published version. */
  workflowVersionId?: string;
  version?: string;
  triggerId?: string | null;
  /** `manual` (default), `schedule`, `webhook`, `event`, `subworkflow`, ... */
  triggerKind?: string;
  input?: Json;
  correlationId?: string | null;
  traceId?: string | null;
  parentRunId?: string | null;
  parentNodeId?: string | null;
  /** Lets callers choose the id (a UUID), e.g. to enqueue before the row exists elsewhere. */
  id?: string;
  /**
   * Refuse (`NotFoundError`, entity "workflow version") instead of creating a run without a version
   * when the workflow has none published. Default false.
   */
  requirePublished?: boolean;
}

// The version a new run is pinned to: the one asked for (by id or semver), else the workflow's
// latest published one, else none (a workflow never published: the caller decides what that means).
export const CREATE_RUN_SQL = `insert into "runs" ("id", "workflow_id", "workflow_version_id", "version", "status",
    "trigger_id", "trigger_kind", "input", "correlation_id", "trace_id", "parent_run_id", "parent_node_id",
    "checkpoints", "created_at", "updated_at")
  select $1::uuid, w."id", v."id", v."version", 'queued', $5::uuid, $6::text, $7::jsonb, $8::text, $9::text,
    $10::uuid, $11::text, 0, $12::timestamptz, $12::timestamptz
  from "workflows" w
  left join "workflow_versions" v on v."workflow_id" = w."id"
    and case when $3::uuid is not null then v."id" = $3::uuid else v."version" = coalesce($4::text, w."latest_version") end
  where w."id" = $2::uuid
    and (v."id" is not null
      or ($3::uuid is null and $4::text is null and w."latest_version" is null and not $13::boolean))
  returning "workflow_version_id"::text as version_id, "version"`;

export function createRunValues(input: CreateRunInput & { id: string }, createdAt: string): unknown[] {
  return [
    input.id,
    input.workflowId,
    input.workflowVersionId ?? null,
    input.version ?? null,
    input.triggerId ?? null,
    input.triggerKind ?? "manual",
    jsonText(input.input),
    input.correlationId ?? null,
    input.traceId ?? null,
    input.parentRunId ?? null,
    input.parentNodeId ?? null,
    createdAt,
    input.requirePublished ?? false,
  ];
}

/**
 * The run insert with `?` placeholders, for a caller inside an ORM transaction (publish and create
 * in one transaction). @internal
 */
export function createRunQuery(input: CreateRunInput & { id: string }): { text: string; values: unknown[] } {
  const positional = createRunValues(input, creationTime().text);
  const values: unknown[] = [];
  const text = CREATE_RUN_SQL.replace(/\$(\d+)/g, (_, n: string) => {
    values.push(positional[Number(n) - 1]);
    return "?";
  });
  return { text, values };
}

const jsonText = (value: unknown): string | null =>
  value === null || value === undefined ? null : JSON.stringify(value);

let lastCreatedMicros = 0;
/**
 * The creation time of a new run: wall-clock milliseconds, plus microseconds that only break ties,
 * so runs created one after the other in this process list newest-first in creation order.
 */
export function creationTime(): { now: Date; text: string } {
  const micros = Math.max(Date.now() * 1000, lastCreatedMicros + 1);
  lastCreatedMicros = micros;
  const now = new Date(Math.floor(micros / 1000));
  return { now, text: now.toISOString().replace("Z", `${String(micros % 1000).padStart(3, "0")}Z`) };
}

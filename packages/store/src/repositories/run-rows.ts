// How run and step rows read back as records: the ORM's rows, and the raw row of the prepared read
// that every job of a run starts with.
import type { InferEntity } from "@mikro-orm/core";
import type { RunEntity, StepEntity } from "../entities.ts";
import type { ErrorInfo, LogEntry, RunState } from "../kernel-types.ts";
import type { Json, RunRecord, RunRecordStatus, StepRecord, StepStatus } from "../records.ts";
import { iso } from "./shared.ts";

export const RUN_STATUSES: readonly RunRecordStatus[] = [
  "queued",
  "running",
  "paused",
  "waiting",
  "succeeded",
  "failed",
  "cancelled",
];
export const STEP_STATUSES: readonly StepStatus[] = ["succeeded", "failed", "suspended", "cancelled", "skipped"];

/** A run without its (possibly large) `state`: what lists return. */
export type RunSummary = Omit<RunRecord, "state">;

export type RunRow = InferEntity<typeof RunEntity>;
export type StepRow = InferEntity<typeof StepEntity>;

// Timestamps travel as epoch milliseconds (truncated, as the ORM's own reads do) so the record is
// the same whichever path read it.
const RUN_TIMES = ["lease_until", "created_at", "started_at", "finished_at", "updated_at"] as const;
export const GET_RUN_SQL = `select "id"::text, "workflow_id"::text, "workflow_version_id"::text, "version", "status",
    "trigger_id"::text, "trigger_kind", "input", "output", "error", "progress", "state", "correlation_id",
    "trace_id", "parent_run_id"::text, "parent_node_id", "worker_id", "checkpoints",
    ${RUN_TIMES.map((c) => `floor(extract(epoch from "${c}") * 1000)::float8 as "${c}"`).join(", ")}
  from "runs" where "id" = $1::uuid`;
export interface RawRunRow {
  id: string;
  workflow_id: string;
  workflow_version_id: string | null;
  version: string | null;
  status: string;
  trigger_id: string | null;
  trigger_kind: string;
  input: Json;
  output: Json;
  error: Json;
  progress: Json;
  state: Json;
  correlation_id: string | null;
  trace_id: string | null;
  parent_run_id: string | null;
  parent_node_id: string | null;
  worker_id: string | null;
  checkpoints: number;
  lease_until: number | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  updated_at: number;
}
const dateOf = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));
export function fromRawRow(raw: RawRunRow): RunRow {
  return {
    id: raw.id,
    workflowId: raw.workflow_id,
    workflowVersionId: raw.workflow_version_id,
    version: raw.version,
    status: raw.status,
    triggerId: raw.trigger_id,
    triggerKind: raw.trigger_kind,
    input: raw.input,
    output: raw.output,
    error: raw.error,
    progress: raw.progress,
    state: raw.state,
    correlationId: raw.correlation_id,
    traceId: raw.trace_id,
    parentRunId: raw.parent_run_id,
    parentNodeId: raw.parent_node_id,
    workerId: raw.worker_id,
    leaseUntil: dateOf(raw.lease_until),
    checkpoints: raw.checkpoints,
    createdAt: new Date(raw.created_at),
    startedAt: dateOf(raw.started_at),
    finishedAt: dateOf(raw.finished_at),
    updatedAt: new Date(raw.updated_at),
  } as RunRow;
}

export function toSummary(row: RunRow): RunSummary {
  return {
    id: row.id,
    workflowId: row.workflowId,
    workflowVersionId: row.workflowVersionId ?? null,
    version: row.version ?? null,
    status: row.status as RunRecordStatus,
    triggerId: row.triggerId ?? null,
    triggerKind: row.triggerKind,
    input: row.input ?? null,
    output: row.output ?? null,
    error: (row.error ?? null) as ErrorInfo | null,
    progress: row.progress ?? null,
    correlationId: row.correlationId ?? null,
    traceId: row.traceId ?? null,
    parentRunId: row.parentRunId ?? null,
    parentNodeId: row.parentNodeId ?? null,
    workerId: row.workerId ?? null,
    leaseUntil: iso(row.leaseUntil),
    checkpoints: row.checkpoints,
    createdAt: iso(row.createdAt),
    startedAt: iso(row.startedAt),
    finishedAt: iso(row.finishedAt),
    updatedAt: iso(row.updatedAt),
  };
}

export function toRecord(row: RunRow): RunRecord {
  return { ...toSummary(row), state: (row.state ?? null) as RunState | null };
}

export function toStepRecord(row: StepRow): StepRecord {
  return {
    id: row.id,
    runId: row.runId,
    nodeId: row.nodeId,
    nodeType: row.nodeType,
    attempt: row.attempt,
    status: row.status as StepStatus,
    input: row.input ?? null,
    config: row.config ?? null,
    output: row.output ?? null,
    outputTruncated: row.outputTruncated,
    outputBytes: row.outputBytes ?? null,
    port: row.port ?? null,
    errorCode: row.errorCode ?? null,
    errorMessage: row.errorMessage ?? null,
    error: (row.error ?? null) as ErrorInfo | null,
    logs: (row.logs ?? []) as unknown as LogEntry[],
    startedAt: iso(row.startedAt),
    finishedAt: iso(row.finishedAt),
    durationMs: row.durationMs ?? null,
    workerId: row.workerId ?? null,
    createdAt: iso(row.createdAt),
  };
}

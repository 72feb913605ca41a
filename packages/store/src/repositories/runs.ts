// Runs and their steps (one row per node attempt). `checkpoint` is the hot path: the run's state and
// the attempt's step row are written in one transaction, so a reader never sees one without the other.
import type { InferEntity } from "@mikro-orm/core";
import { raw } from "@mikro-orm/core";
import { CompiledQuery } from "kysely";
import { RunEntity, StepEntity, WorkflowEntity, WorkflowVersionEntity } from "../entities.ts";
import { ConflictError, NotFoundError, translateDbError, ValidationError } from "../errors.ts";
import type { ErrorInfo, LogEntry, RunState } from "../kernel-types.ts";
import {
  ACTIVE_RUN_STATUSES,
  type Json,
  type Page,
  type PageOptions,
  type RunRecord,
  type RunRecordStatus,
  type StepRecord,
  type StepStatus,
  TERMINAL_RUN_STATUSES,
  type TimeInput,
} from "../records.ts";
import { fork, iso, jsonOrNull, newId, oneOf, pageOf, type RepositoryContext, toDate } from "./shared.ts";
import { capOutput } from "./truncate.ts";

const RUN_STATUSES: readonly RunRecordStatus[] = [
  "queued",
  "running",
  "paused",
  "waiting",
  "succeeded",
  "failed",
  "cancelled",
];
const STEP_STATUSES: readonly StepStatus[] = ["succeeded", "failed", "suspended", "cancelled", "skipped"];
const STEP_COLUMNS = [
  ["id", "id", ""],
  ["run_id", "runId", ""],
  ["node_id", "nodeId", ""],
  ["node_type", "nodeType", ""],
  ["attempt", "attempt", ""],
  ["status", "status", ""],
  ["input", "input", "::jsonb"],
  ["config", "config", "::jsonb"],
  ["output", "output", "::jsonb"],
  ["output_truncated", "outputTruncated", ""],
  ["output_bytes", "outputBytes", ""],
  ["port", "port", ""],
  ["error_code", "errorCode", ""],
  ["error_message", "errorMessage", ""],
  ["error", "error", "::jsonb"],
  ["logs", "logs", "::jsonb"],
  ["started_at", "startedAt", ""],
  ["finished_at", "finishedAt", ""],
  ["duration_ms", "durationMs", ""],
  ["worker_id", "workerId", ""],
  ["created_at", "createdAt", ""],
] as const;
const KEY_COLUMNS = new Set(["id", "run_id", "node_id", "attempt", "created_at"]);
// A re-delivered checkpoint (same run, node, attempt) updates its row: at-least-once delivery must
// not produce two rows for one attempt.
const STEP_COLUMN_LIST = STEP_COLUMNS.map(([c]) => `"${c}"`).join(", ");
const STEP_UPDATE_SET = STEP_COLUMNS.filter(([c]) => !KEY_COLUMNS.has(c))
  .map(([c]) => `"${c}" = excluded."${c}"`)
  .join(", ");
// Parameters in a SELECT list need explicit types (PostgreSQL cannot infer them from the target column).
const STEP_CASTS: Record<string, string> = {
  id: "::uuid",
  node_id: "::text",
  node_type: "::text",
  attempt: "::int",
  status: "::text",
  output_truncated: "::boolean",
  output_bytes: "::int",
  port: "::text",
  error_code: "::text",
  error_message: "::text",
  started_at: "::timestamptz",
  finished_at: "::timestamptz",
  duration_ms: "::int",
  worker_id: "::text",
  created_at: "::timestamptz",
};

const jsonText = (value: unknown): string | null =>
  value === null || value === undefined ? null : JSON.stringify(value);

type StepRowInput = Record<(typeof STEP_COLUMNS)[number][1], unknown>;

function stepParams(step: StepRowInput): unknown[] {
  return STEP_COLUMNS.map(([, key, cast]) => {
    const value = step[key];
    if (cast === "") return value;
    return value === null || value === undefined ? null : JSON.stringify(value);
  });
}

const TERMINAL_SQL = TERMINAL_RUN_STATUSES.map((s) => `'${s}'`).join(", ");

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
}

/** A run without its (possibly large) `state`: what lists return. */
export type RunSummary = Omit<RunRecord, "state">;

export interface RunFilter extends PageOptions {
  workflowId?: string;
  status?: RunRecordStatus | RunRecordStatus[];
  parentRunId?: string;
  correlationId?: string;
  triggerKind?: string;
  /** Created at or after. */
  since?: TimeInput;
  /** Created before. */
  until?: TimeInput;
}

/** One node attempt, as the runtime reports it. */
export interface StepInput {
  nodeId: string;
  nodeType: string;
  /** 1 for the first attempt. */
  attempt: number;
  status: StepStatus;
  input?: Json;
  config?: Json;
  output?: Json;
  port?: string | null;
  error?: ErrorInfo | null;
  /** Defaults to `error.code`. */
  errorCode?: string | null;
  /** Defaults to `error.message`. */
  errorMessage?: string | null;
  logs?: LogEntry[];
  startedAt?: TimeInput | null;
  finishedAt?: TimeInput | null;
  /** Defaults to finishedAt − startedAt. */
  durationMs?: number | null;
  workerId?: string | null;
}

export interface CheckpointInput {
  state: RunState;
  status: RunRecordStatus;
  output?: Json;
  error?: ErrorInfo | null;
  progress?: Json;
  /** The attempt that produced this state; inserted (or, when re-delivered, updated) with the run. */
  step?: StepInput;
  workerId?: string | null;
}

export interface MarkStatusOptions {
  /** Only change the status when the run is currently in one of these; otherwise ConflictError. */
  from?: RunRecordStatus[];
  output?: Json;
  error?: ErrorInfo | null;
}

type RunRow = InferEntity<typeof RunEntity>;
type StepRow = InferEntity<typeof StepEntity>;

function toSummary(row: RunRow): RunSummary {
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

function toRecord(row: RunRow): RunRecord {
  return { ...toSummary(row), state: (row.state ?? null) as RunState | null };
}

function toStepRecord(row: StepRow): StepRecord {
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

/** Runs: creation, listing, atomic checkpoints, status changes, leases and retention. */
export class RunRepository {
  readonly #ctx: RepositoryContext;
  constructor(ctx: RepositoryContext) {
    this.#ctx = ctx;
  }

  /** Creates a run in status `queued`. */
  async create(input: CreateRunInput): Promise<RunRecord> {
    const em = fork(this.#ctx);
    const workflow = await em.findOne(WorkflowEntity, { id: input.workflowId });
    if (!workflow) throw new NotFoundError("workflow", input.workflowId);
    let versionId = input.workflowVersionId ?? null;
    let version = input.version ?? null;
    if (versionId) {
      const row = await em.findOne(WorkflowVersionEntity, { id: versionId, workflowId: workflow.id });
      if (!row) throw new NotFoundError("workflow version", versionId);
      version = row.version;
    } else if (version || workflow.latestVersion) {
      const wanted = version ?? workflow.latestVersion;
      const row = await em.findOne(WorkflowVersionEntity, { workflowId: workflow.id, version: wanted ?? "" });
      if (!row) throw new NotFoundError("workflow version", `${workflow.id}@${wanted}`);
      versionId = row.id;
      version = row.version;
    }
    const now = new Date();
    const row = {
      id: input.id ?? newId(),
      workflowId: workflow.id,
      workflowVersionId: versionId,
      version,
      status: "queued",
      triggerId: input.triggerId ?? null,
      triggerKind: input.triggerKind ?? "manual",
      input: jsonOrNull(input.input),
      output: null,
      error: null,
      progress: null,
      state: null,
      correlationId: input.correlationId ?? null,
      traceId: input.traceId ?? null,
      parentRunId: input.parentRunId ?? null,
      parentNodeId: input.parentNodeId ?? null,
      workerId: null,
      leaseUntil: null,
      checkpoints: 0,
      createdAt: now,
      startedAt: null,
      finishedAt: null,
      updatedAt: now,
    };
    await em.insert(RunEntity, row).catch((e) => translateDbError(e, { entity: "run" }));
    return toRecord(row);
  }

  async get(id: string): Promise<RunRecord | undefined> {
    const row = await fork(this.#ctx).findOne(RunEntity, { id });
    return row ? toRecord(row) : undefined;
  }

  /** Runs, newest first, without their state. */
  async list(filter: RunFilter = {}): Promise<Page<RunSummary>> {
    const { limit, offset } = pageOf(filter);
    const where: Record<string, unknown> = {};
    if (filter.workflowId !== undefined) where.workflowId = filter.workflowId;
    if (filter.status !== undefined) {
      const statuses = (Array.isArray(filter.status) ? filter.status : [filter.status]).map((s) =>
        oneOf(s, RUN_STATUSES, "status"),
      );
      where.status = { $in: statuses };
    }
    if (filter.parentRunId !== undefined) where.parentRunId = filter.parentRunId;
    if (filter.correlationId !== undefined) where.correlationId = filter.correlationId;
    if (filter.triggerKind !== undefined) where.triggerKind = filter.triggerKind;
    if (filter.since !== undefined || filter.until !== undefined) {
      const createdAt: Record<string, Date> = {};
      if (filter.since !== undefined) createdAt.$gte = toDate(filter.since, "since");
      if (filter.until !== undefined) createdAt.$lt = toDate(filter.until, "until");
      where.createdAt = createdAt;
    }
    const [rows, total] = await fork(this.#ctx).findAndCount(RunEntity, where, {
      exclude: ["state"],
      orderBy: { createdAt: "desc", id: "asc" },
      limit,
      offset,
    });
    return { items: rows.map((r) => toSummary(r as RunRow)), total };
  }

  /** Queued, running, paused and waiting runs of a workflow. */
  async activeForWorkflow(workflowId: string): Promise<RunSummary[]> {
    const rows = await fork(this.#ctx).find(
      RunEntity,
      { workflowId, status: { $in: [...ACTIVE_RUN_STATUSES] } },
      { exclude: ["state"], orderBy: { createdAt: "asc" } },
    );
    return rows.map((r) => toSummary(r as RunRow));
  }

  /**
   * Writes the run's state (and status/output/error) and the attempt's step row in ONE transaction.
   * A failure anywhere leaves the previous checkpoint intact. A re-delivered step (same run, node
   * and attempt) updates its row instead of adding a second one.
   */
  async checkpoint(runId: string, input: CheckpointInput): Promise<void> {
    const status = oneOf(input.status, RUN_STATUSES, "status");
    const now = new Date();
    const params: unknown[] = [];
    const bind = (value: unknown, cast = "") => {
      params.push(value);
      return `$${params.length}${cast}`;
    };
    const sets = [
      `"state" = ${bind(JSON.stringify(input.state), "::jsonb")}`,
      `"status" = ${bind(status)}`,
      `"checkpoints" = "checkpoints" + 1`,
      `"started_at" = coalesce("started_at", ${bind(now, "::timestamptz")})`,
      `"finished_at" = ${bind(TERMINAL_RUN_STATUSES.includes(status) ? now : null, "::timestamptz")}`,
      `"updated_at" = ${bind(now, "::timestamptz")}`,
    ];
    if (input.output !== undefined) sets.push(`"output" = ${bind(jsonText(input.output), "::jsonb")}`);
    if (input.error !== undefined) sets.push(`"error" = ${bind(jsonText(input.error), "::jsonb")}`);
    if (input.progress !== undefined) sets.push(`"progress" = ${bind(jsonText(input.progress), "::jsonb")}`);
    if (input.workerId !== undefined) sets.push(`"worker_id" = ${bind(input.workerId)}`);
    const update = `update "runs" set ${sets.join(", ")} where "id" = ${bind(runId, "::uuid")} returning "id"`;
    let statement: string;
    if (input.step) {
      const step = stepParams(this.#stepRow(runId, input.step, now));
      const values = STEP_COLUMNS.map(([column, , cast], i) =>
        column === "run_id" ? `r."id"` : bind(step[i], cast || STEP_CASTS[column] || ""),
      );
      // One statement is one transaction: the step row only exists if the run row was updated, and a
      // failure in either leaves the previous checkpoint untouched. It also costs a single round trip.
      statement = `with r as (${update}),
        s as (insert into "steps" (${STEP_COLUMN_LIST}) select ${values.join(", ")} from r
              on conflict ("run_id", "node_id", "attempt") do update set ${STEP_UPDATE_SET})
        select count(*)::int as n from r`;
    } else {
      statement = `with r as (${update}) select count(*)::int as n from r`;
    }
    const client = this.#ctx.orm.em.getConnection().getClient();
    const result = await client
      .executeQuery<{ n: number }>(CompiledQuery.raw(statement, params))
      .catch((e: unknown) => translateDbError(e, { entity: "run", id: runId }));
    if (result.rows[0]?.n !== 1) throw new NotFoundError("run", runId);
  }

  #stepRow(runId: string, step: StepInput, now: Date) {
    if (typeof step.nodeId !== "string" || step.nodeId === "")
      throw new ValidationError("step.nodeId must be a non-empty string", { field: "step.nodeId" });
    const startedAt = toDate(step.startedAt, "step.startedAt");
    const finishedAt = toDate(step.finishedAt, "step.finishedAt");
    const stored = capOutput(step.output, this.#ctx.maxOutputBytes);
    return {
      id: newId(),
      runId,
      nodeId: step.nodeId,
      nodeType: step.nodeType,
      attempt: step.attempt,
      status: oneOf(step.status, STEP_STATUSES, "step.status"),
      input: jsonOrNull(step.input),
      config: jsonOrNull(step.config),
      output: stored.output,
      outputTruncated: stored.truncated,
      outputBytes: stored.bytes,
      port: step.port ?? null,
      errorCode: step.errorCode ?? step.error?.code ?? null,
      errorMessage: step.errorMessage ?? step.error?.message ?? null,
      error: (step.error ?? null) as Json,
      logs: (step.logs ?? []) as unknown as Json,
      startedAt,
      finishedAt,
      durationMs:
        step.durationMs ?? (startedAt && finishedAt ? Math.max(0, finishedAt.getTime() - startedAt.getTime()) : null),
      workerId: step.workerId ?? null,
      createdAt: now,
    };
  }

  /**
   * Sets a run's status (pause, resume, cancel, fail from outside the kernel). With `from`, the change
   * only happens when the run is in one of those statuses; otherwise a ConflictError says which it is in.
   */
  async markStatus(runId: string, status: RunRecordStatus, options: MarkStatusOptions = {}): Promise<RunRecord> {
    oneOf(status, RUN_STATUSES, "status");
    const now = new Date();
    const data: Record<string, unknown> = { status, updatedAt: now };
    if (TERMINAL_RUN_STATUSES.includes(status)) data.finishedAt = now;
    if (status === "running") data.startedAt = raw("coalesce(started_at, ?)", [now]);
    if (options.output !== undefined) data.output = options.output;
    if (options.error !== undefined) data.error = options.error;
    const em = fork(this.#ctx);
    const where: Record<string, unknown> = { id: runId };
    if (options.from) where.status = { $in: options.from.map((s) => oneOf(s, RUN_STATUSES, "from")) };
    const updated = await em.nativeUpdate(RunEntity, where, data);
    const row = await em.findOne(RunEntity, { id: runId });
    if (!row) throw new NotFoundError("run", runId);
    if (updated === 0)
      throw new ConflictError(`run ${runId} is ${row.status}, not ${options.from?.join(" or ")}`, {
        entity: "run",
        id: runId,
        status: row.status,
        expected: options.from ?? [],
      });
    return toRecord(row);
  }

  /**
   * Takes (or renews) the run's lease for a worker: succeeds when no lease is held, it expired, or the
   * same worker holds it. Returns false when another worker holds a live lease.
   */
  async acquireLease(runId: string, workerId: string, leaseMs: number): Promise<boolean> {
    const now = new Date();
    const updated = await fork(this.#ctx).nativeUpdate(
      RunEntity,
      { id: runId, $or: [{ leaseUntil: null }, { leaseUntil: { $lt: now } }, { workerId }] },
      { workerId, leaseUntil: new Date(now.getTime() + leaseMs) },
    );
    return updated > 0;
  }

  /** Gives the lease up (only when `workerId` holds it). */
  async releaseLease(runId: string, workerId: string): Promise<void> {
    await fork(this.#ctx).nativeUpdate(RunEntity, { id: runId, workerId }, { leaseUntil: null });
  }

  /** Every attempt of a run, in the order they were recorded. */
  async listSteps(runId: string): Promise<StepRecord[]> {
    const rows = await fork(this.#ctx).find(
      StepEntity,
      { runId },
      { orderBy: { createdAt: "asc", nodeId: "asc", attempt: "asc" } },
    );
    return rows.map(toStepRecord);
  }

  /**
   * Deletes finished (succeeded, failed, cancelled) runs that finished more than `olderThanDays` ago,
   * with their steps and approvals, `batchSize` runs per transaction so locks stay short.
   * Returns how many runs were deleted.
   */
  async prune(olderThanDays: number, batchSize = 500): Promise<number> {
    if (!(olderThanDays >= 0)) throw new ValidationError("olderThanDays must be >= 0", { field: "olderThanDays" });
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new ValidationError("batchSize must be a positive integer", { field: "batchSize" });
    const cutoff = new Date(Date.now() - olderThanDays * 86_400_000);
    const em = fork(this.#ctx);
    let total = 0;
    while (true) {
      const result = await em.execute<{ affectedRows: number }>(
        `delete from "runs" where id in (
           select id from "runs" where status in (${TERMINAL_SQL}) and coalesce(finished_at, updated_at) < ?
           order by finished_at limit ? for update skip locked)`,
        [cutoff, batchSize],
        "run",
      );
      total += result.affectedRows;
      if (result.affectedRows < batchSize) return total;
    }
  }
}

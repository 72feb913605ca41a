// Runs and their steps (one row per node attempt). `checkpoint` is the hot path: the run's state and
// the attempt's step row are written in one transaction, so a reader never sees one without the other.
import type { InferEntity } from "@mikro-orm/core";
import { raw } from "@mikro-orm/core";
import { RunEntity, StepEntity, WorkflowEntity } from "../entities.ts";
import { ConflictError, NotFoundError, StoreError, translateDbError, ValidationError } from "../errors.ts";
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
// The group-commit statement. Its text never changes (so each connection prepares it once): the
// batch travels as two JSON documents that PostgreSQL unpacks with jsonb_to_recordset. A step row is
// only inserted when its run row was updated, and a re-delivered step (same run, node, attempt)
// updates its row: at-least-once delivery must not produce two rows for one attempt.
const STEP_RECORD_TYPES: Record<(typeof STEP_COLUMNS)[number][0], string> = {
  id: "uuid",
  run_id: "uuid",
  node_id: "text",
  node_type: "text",
  attempt: "int",
  status: "text",
  input: "jsonb",
  config: "jsonb",
  output: "jsonb",
  output_truncated: "boolean",
  output_bytes: "int",
  port: "text",
  error_code: "text",
  error_message: "text",
  error: "jsonb",
  logs: "jsonb",
  started_at: "timestamptz",
  finished_at: "timestamptz",
  duration_ms: "int",
  worker_id: "text",
  created_at: "timestamptz",
};
// A JSON null inside the batch document must be stored as SQL NULL, as single writes always did.
const stepValue = (column: string) =>
  STEP_RECORD_TYPES[column as keyof typeof STEP_RECORD_TYPES] === "jsonb"
    ? `nullif(x."${column}", 'null'::jsonb)`
    : `x."${column}"`;
const CHECKPOINT_MANY_SQL = `with v as (
  select * from jsonb_to_recordset($1::jsonb) as v(
    id uuid, state jsonb, status text, now timestamptz, terminal boolean,
    set_output boolean, output jsonb, set_error boolean, error jsonb,
    set_progress boolean, progress jsonb, set_worker boolean, worker_id text)
), r as (
  update "runs" as t set
    "state" = v.state,
    "status" = v.status,
    "checkpoints" = t."checkpoints" + 1,
    "started_at" = coalesce(t."started_at", v.now),
    "finished_at" = case when v.terminal then v.now end,
    "updated_at" = v.now,
    "output" = case when v.set_output then nullif(v.output, 'null'::jsonb) else t."output" end,
    "error" = case when v.set_error then nullif(v.error, 'null'::jsonb) else t."error" end,
    "progress" = case when v.set_progress then nullif(v.progress, 'null'::jsonb) else t."progress" end,
    "worker_id" = case when v.set_worker then v.worker_id else t."worker_id" end
  from v where t."id" = v.id
  returning t."id"
), s as (
  insert into "steps" (${STEP_COLUMNS.map(([c]) => `"${c}"`).join(", ")})
  select ${STEP_COLUMNS.map(([c]) => stepValue(c)).join(", ")}
  from jsonb_to_recordset($2::jsonb) as x(${STEP_COLUMNS.map(([c]) => `"${c}" ${STEP_RECORD_TYPES[c]}`).join(", ")})
  where x."run_id" in (select "id" from r)
  on conflict ("run_id", "node_id", "attempt") do update set ${STEP_COLUMNS.filter(([c]) => !KEY_COLUMNS.has(c))
    .map(([c]) => `"${c}" = excluded."${c}"`)
    .join(", ")}
)
select "id"::text as id from r`;

// The version a new run is pinned to: the one asked for (by id or semver), else the workflow's
// latest published one, else none (a workflow never published: the caller decides what that means).
const CREATE_RUN_SQL = `insert into "runs" ("id", "workflow_id", "workflow_version_id", "version", "status",
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

function createRunValues(input: CreateRunInput & { id: string }, createdAt: string): unknown[] {
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

// Timestamps travel as epoch milliseconds (truncated, as the ORM's own reads do) so the record is
// the same whichever path read it.
const RUN_TIMES = ["lease_until", "created_at", "started_at", "finished_at", "updated_at"] as const;
const GET_RUN_SQL = `select "id"::text, "workflow_id"::text, "workflow_version_id"::text, "version", "status",
    "trigger_id"::text, "trigger_kind", "input", "output", "error", "progress", "state", "correlation_id",
    "trace_id", "parent_run_id"::text, "parent_node_id", "worker_id", "checkpoints",
    ${RUN_TIMES.map((c) => `floor(extract(epoch from "${c}") * 1000)::float8 as "${c}"`).join(", ")}
  from "runs" where "id" = $1::uuid`;
interface RawRunRow {
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
function fromRawRow(raw: RawRunRow): RunRow {
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

let lastCreatedMicros = 0;
/**
 * The creation time of a new run: wall-clock milliseconds, plus microseconds that only break ties,
 * so runs created one after the other in this process list newest-first in creation order.
 */
function creationTime(): { now: Date; text: string } {
  const micros = Math.max(Date.now() * 1000, lastCreatedMicros + 1);
  lastCreatedMicros = micros;
  const now = new Date(Math.floor(micros / 1000));
  return { now, text: now.toISOString().replace("Z", `${String(micros % 1000).padStart(3, "0")}Z`) };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The slice of `pg`'s Pool the group commit uses (a named, prepared statement). */
interface CheckpointPool {
  query<R>(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: R[] }>;
}
interface NativeConnection {
  getNativeClient(): Promise<CheckpointPool>;
}
interface RunCheckpointRow {
  id: string;
  state: Json;
  status: RunRecordStatus;
  now: string;
  terminal: boolean;
  set_output: boolean;
  output: Json;
  set_error: boolean;
  error: Json;
  set_progress: boolean;
  progress: Json;
  set_worker: boolean;
  worker_id: string | null;
}
type StepCheckpointRow = Record<string, Json>;

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
  /**
   * Refuse (`NotFoundError`, entity "workflow version") instead of creating a run without a version
   * when the workflow has none published. Default false.
   */
  requirePublished?: boolean;
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

/** One run's checkpoint in a {@link RunRepository.checkpointMany} batch. */
export interface CheckpointItem {
  runId: string;
  input: CheckpointInput;
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
  #nativePool: Promise<CheckpointPool> | undefined;
  constructor(ctx: RepositoryContext) {
    this.#ctx = ctx;
  }

  /**
   * Creates a run in status `queued`. One statement resolves the version and inserts the row; the
   * lookups that say why nothing was inserted only run when nothing was.
   */
  async create(input: CreateRunInput): Promise<RunRecord> {
    const id = input.id ?? newId();
    const { now, text: createdAt } = creationTime();
    const wanted = { versionId: input.workflowVersionId ?? null, version: input.version ?? null };
    if (!UUID.test(String(input.workflowId))) throw new NotFoundError("workflow", String(input.workflowId));
    if (wanted.versionId !== null && !UUID.test(wanted.versionId))
      throw new NotFoundError("workflow version", wanted.versionId);
    const values = createRunValues({ ...input, id }, createdAt);
    const pool = await this.#pool();
    const result = await pool
      .query<{ version_id: string | null; version: string | null }>({
        name: "weft_create_run",
        text: CREATE_RUN_SQL,
        values,
      })
      .catch((e: unknown) => translateDbError(e, { entity: "run" }));
    const inserted = result.rows[0];
    if (!inserted) {
      const em = fork(this.#ctx);
      const workflow = await em.findOne(WorkflowEntity, { id: input.workflowId });
      if (!workflow) throw new NotFoundError("workflow", input.workflowId);
      throw new NotFoundError(
        "workflow version",
        wanted.versionId ?? `${workflow.id}@${wanted.version ?? workflow.latestVersion ?? "latest"}`,
      );
    }
    return toRecord({
      id,
      workflowId: input.workflowId,
      workflowVersionId: inserted.version_id,
      version: inserted.version,
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
    } as RunRow);
  }

  /** The run with its state (a prepared statement: every job of a run starts with this read). */
  async get(id: string): Promise<RunRecord | undefined> {
    if (typeof id !== "string" || !UUID.test(id)) return undefined;
    const pool = await this.#pool();
    const result = await pool.query<RawRunRow>({ name: "weft_get_run", text: GET_RUN_SQL, values: [id] });
    const raw = result.rows[0];
    return raw ? toRecord(fromRawRow(raw)) : undefined;
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
    const [failure] = await this.checkpointMany([{ runId, input }]);
    if (failure) throw failure;
  }

  /**
   * Group commit: writes the checkpoints of many runs in ONE statement (one transaction, one round
   * trip). Each item keeps the semantics of {@link RunRepository.checkpoint}. Returns, per item,
   * `undefined` when it was written, or why it was not (a ValidationError for bad input, a
   * NotFoundError for an unknown run); those items change nothing and do not stop the others.
   * Rejects when the statement itself fails: then nothing of the batch was written. Several items
   * of the same run are written in order, each in a later transaction than the one before.
   */
  async checkpointMany(items: readonly CheckpointItem[]): Promise<(StoreError | undefined)[]> {
    const results: (StoreError | undefined)[] = new Array(items.length).fill(undefined);
    let pending = items.map((item, index) => ({ item, index }));
    while (pending.length > 0) {
      // A run appears at most once per statement: one UPDATE cannot change a row twice.
      const seen = new Set<string>();
      const round: { index: number; run: RunCheckpointRow; step: StepCheckpointRow | undefined }[] = [];
      const later: typeof pending = [];
      for (const entry of pending) {
        if (seen.has(entry.item.runId)) {
          later.push(entry);
          continue;
        }
        seen.add(entry.item.runId);
        try {
          round.push({ index: entry.index, ...this.#checkpointRows(entry.item) });
        } catch (error) {
          if (!(error instanceof StoreError)) throw error;
          results[entry.index] = error;
        }
      }
      pending = later;
      if (round.length === 0) continue;
      const steps = round.flatMap((r) => (r.step ? [r.step] : []));
      const pool = await this.#pool();
      const result = await pool
        .query<{ id: string }>({
          name: "weft_checkpoint_many",
          text: CHECKPOINT_MANY_SQL,
          values: [JSON.stringify(round.map((r) => r.run)), JSON.stringify(steps)],
        })
        .catch((e: unknown) =>
          translateDbError(e, { entity: "run", ...(round.length === 1 ? { id: round[0]?.run.id } : {}) }),
        );
      const written = new Set(result.rows.map((row) => row.id));
      for (const r of round) if (!written.has(r.run.id)) results[r.index] = new NotFoundError("run", r.run.id);
    }
    return results;
  }

  async #pool(): Promise<CheckpointPool> {
    this.#nativePool ??= (this.#ctx.orm.em.getConnection() as unknown as NativeConnection).getNativeClient();
    return this.#nativePool;
  }

  #checkpointRows(item: CheckpointItem): { run: RunCheckpointRow; step: StepCheckpointRow | undefined } {
    const { runId, input } = item;
    if (typeof runId !== "string" || !UUID.test(runId)) throw new NotFoundError("run", String(runId));
    const status = oneOf(input.status, RUN_STATUSES, "status");
    const now = new Date();
    const run: RunCheckpointRow = {
      id: runId,
      state: input.state as unknown as Json,
      status,
      now: now.toISOString(),
      terminal: TERMINAL_RUN_STATUSES.includes(status),
      set_output: input.output !== undefined,
      output: input.output ?? null,
      set_error: input.error !== undefined,
      error: (input.error ?? null) as Json,
      set_progress: input.progress !== undefined,
      progress: input.progress ?? null,
      set_worker: input.workerId !== undefined,
      worker_id: input.workerId ?? null,
    };
    if (!input.step) return { run, step: undefined };
    const row = this.#stepRow(runId, input.step, now);
    const step: StepCheckpointRow = {};
    for (const [column, key] of STEP_COLUMNS) {
      const value = row[key];
      step[column] = value instanceof Date ? value.toISOString() : ((value ?? null) as Json);
    }
    return { run, step };
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

// The checkpoint write: a run's state and the attempt's step row in one statement, for one run or a
// batch of runs (group commit), so a reader never sees one without the other.
import { NotFoundError, StoreError, translateDbError, ValidationError } from "../errors.ts";
import type { ErrorInfo, LogEntry, RunState } from "../kernel-types.ts";
import { type Json, type RunRecordStatus, type StepStatus, TERMINAL_RUN_STATUSES, type TimeInput } from "../records.ts";
import { RUN_STATUSES, STEP_STATUSES } from "./run-rows.ts";
import { jsonOrNull, newId, oneOf, toDate, UUID } from "./shared.ts";
import { capOutput } from "./truncate.ts";

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

/** The slice of `pg`'s Pool the group commit uses (a named, prepared statement). */
export interface CheckpointPool {
  query<R>(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: R[] }>;
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

/** Writes a batch of checkpoints, with the semantics documented on `RunRepository.checkpointMany`. */
export async function writeCheckpoints(
  items: readonly CheckpointItem[],
  connect: () => Promise<CheckpointPool>,
  maxOutputBytes: number,
): Promise<(StoreError | undefined)[]> {
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
        round.push({ index: entry.index, ...checkpointRows(entry.item, maxOutputBytes) });
      } catch (error) {
        if (!(error instanceof StoreError)) throw error;
        results[entry.index] = error;
      }
    }
    pending = later;
    if (round.length === 0) continue;
    const steps = round.flatMap((r) => (r.step ? [r.step] : []));
    const pool = await connect();
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

function checkpointRows(
  item: CheckpointItem,
  maxOutputBytes: number,
): { run: RunCheckpointRow; step: StepCheckpointRow | undefined } {
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
  const row = stepRow(runId, input.step, now, maxOutputBytes);
  const step: StepCheckpointRow = {};
  for (const [column, key] of STEP_COLUMNS) {
    const value = row[key];
    step[column] = value instanceof Date ? value.toISOString() : ((value ?? null) as Json);
  }
  return { run, step };
}

function stepRow(runId: string, step: StepInput, now: Date, maxOutputBytes: number) {
  if (typeof step.nodeId !== "string" || step.nodeId === "")
    throw new ValidationError("step.nodeId must be a non-empty string", { field: "step.nodeId" });
  const startedAt = toDate(step.startedAt, "step.startedAt");
  const finishedAt = toDate(step.finishedAt, "step.finishedAt");
  const stored = capOutput(step.output, maxOutputBytes);
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

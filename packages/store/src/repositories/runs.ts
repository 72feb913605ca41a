// Runs and their steps (one row per node attempt). `checkpoint` is the hot path: the run's state and
// the attempt's step row are written in one transaction, so a reader never sees one without the other.
// The statements live beside this class: run-create.ts, run-checkpoint.ts, and run-rows.ts for reads.
import { raw } from "@mikro-orm/core";
import { RunEntity, StepEntity, WorkflowEntity } from "../entities.ts";
import { ConflictError, NotFoundError, type StoreError, translateDbError, ValidationError } from "../errors.ts";
import type { ErrorInfo } from "../kernel-types.ts";
import {
  ACTIVE_RUN_STATUSES,
  type Json,
  type Page,
  type PageOptions,
  type RunRecord,
  type RunRecordStatus,
  type StepRecord,
  TERMINAL_RUN_STATUSES,
  type TimeInput,
} from "../records.ts";
import { type CheckpointInput, type CheckpointItem, type CheckpointPool, writeCheckpoints } from "./run-checkpoint.ts";
import { CREATE_RUN_SQL, type CreateRunInput, createRunValues, creationTime } from "./run-create.ts";
import {
  fromRawRow,
  GET_RUN_SQL,
  type RawRunRow,
  RUN_STATUSES,
  type RunRow,
  type RunSummary,
  toRecord,
  toStepRecord,
  toSummary,
} from "./run-rows.ts";
import { fork, jsonOrNull, newId, oneOf, pageOf, type RepositoryContext, toDate, UUID } from "./shared.ts";

interface NativeConnection {
  getNativeClient(): Promise<CheckpointPool>;
}

const TERMINAL_SQL = TERMINAL_RUN_STATUSES.map((s) => `'${s}'`).join(", ");

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

export interface MarkStatusOptions {
  /** Only change the status when the run is currently in one of these; otherwise ConflictError. */
  from?: RunRecordStatus[];
  output?: Json;
  error?: ErrorInfo | null;
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
    return writeCheckpoints(items, () => this.#pool(), this.#ctx.maxOutputBytes);
  }

  async #pool(): Promise<CheckpointPool> {
    this.#nativePool ??= (this.#ctx.orm.em.getConnection() as unknown as NativeConnection).getNativeClient();
    return this.#nativePool;
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

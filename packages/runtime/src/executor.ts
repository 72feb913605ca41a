// RunExecutor: handles one queue job of a run. Loads the run and its workflow version, drives the
// kernel until the run finishes, suspends, pauses or must be handed over, and checkpoints after every
// attempt (run row + step row in one transaction) while holding the run's lease. Both transports
// share it; they only decide where jobs come from and how delays come back.
//
// Checkpoints go through a CheckpointWriter (group commit): the checkpoints of all runs executing
// in this process at once share one statement per flush, and each attempt still waits for its own
// commit before anything that depends on it runs. The one attempt nothing depends on (the last one
// of a run: every node is finished afterwards) is not written on its own: its step row is committed
// together with the run's terminal state, in the run's final checkpoint.
import {
  type AttemptFinishedEvent,
  type Json,
  type RunState,
  type StrategyRegistry,
  WeftError,
  type WorkflowDefinition,
  WorkflowEngine,
} from "@weft/kernel";
import type { ApprovalRecord, CheckpointInput, RunRecord, StepInput, Store } from "@weft/store";
import { CheckpointWriter } from "./checkpoint-writer.ts";
import { LeaseLostError } from "./errors.ts";
import type { RunEventBus } from "./events.ts";
import type { LeaseProvider, RunLease } from "./lease.ts";
import type { RuntimeMetrics } from "./metrics.ts";
import type { RunJob, RunJobResult } from "./queue.ts";
import { EXPIRED_APPROVAL_DECISION } from "./triggers/trigger-scheduler.ts";

/** Where credentials come from: the override first, then the store. */
export type CredentialSource = (name: string) => Promise<{ type: string; values: Record<string, unknown> } | undefined>;

/** A node the run waits on, as the transport needs it to bring the run back. */
export interface PendingWait {
  runId: string;
  nodeId: string;
  kind: string;
  /** ISO time the delay is due / the wait expires. */
  until?: string;
}

export interface RunExecutorOptions {
  store: Store;
  registry: StrategyRegistry;
  workerId: string;
  transport: "inline" | "bullmq";
  events: RunEventBus;
  metrics: RuntimeMetrics;
  leases: LeaseProvider;
  credentials?: CredentialSource;
  /** Registers run-scoped services (rate limiter, sandbox pool) in each run's container. */
  services?: (container: {
    register(token: string | symbol, provider: { useValue: unknown } | { useFactory: () => unknown }): unknown;
  }) => void;
  /** Brings delayed nodes back when due (a delayed job, a timer). Must be idempotent per run/node/until. */
  scheduleDelay: (wait: PendingWait) => Promise<void>;
  /** Milliseconds before a job whose run is leased elsewhere is tried again. */
  leaseRetryMs?: number;
}

/** A finished attempt whose checkpoint rides with the run's final one (see the file's header). */
interface DeferredAttempt {
  step: StepInput;
  event: AttemptFinishedEvent;
}

interface Execution {
  runId: string;
  lease: RunLease;
  pause: boolean;
  handoff: boolean;
  cancel: AbortController;
  startedAt: number;
  deferred: DeferredAttempt | undefined;
}

const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);

// A run whose version no longer compiles (a node type or major that is not installed any more, a graph
// stored without validation) can never make progress: retrying its job would only strand it.
const PERMANENT_RUN_ERRORS = new Set(["WEFT_E_INVALID_WORKFLOW", "WEFT_E_UNKNOWN_NODE_TYPE", "WEFT_E_NODE_VERSION"]);
const NODE_FINISHED = new Set(["succeeded", "failed", "skipped", "cancelled"]);

/**
 * Whether this attempt is the run's last: it is not retried and every node of the run is finished,
 * so the next thing the kernel does is finish the run (nothing can depend on the attempt).
 */
function endsRun(event: AttemptFinishedEvent): boolean {
  if (event.retryInMs !== undefined) return false;
  if (event.outcome.status !== "succeeded" && event.outcome.status !== "failed") return false;
  for (const id in event.state.nodes) if (!NODE_FINISHED.has(event.state.nodes[id]?.status ?? "")) return false;
  return true;
}

function stepOf(event: AttemptFinishedEvent, workerId: string): StepInput {
  const outcome = event.outcome;
  return {
    nodeId: event.nodeId,
    nodeType: event.nodeType,
    attempt: event.attempt,
    status: stepStatus(outcome),
    config: event.config,
    ...(outcome.status === "succeeded" ? { output: outcome.output, port: outcome.port } : {}),
    ...(outcome.status === "failed" ? { error: outcome.error } : {}),
    ...(outcome.status === "suspended" ? { output: outcome.wait as unknown as Json } : {}),
    logs: event.logs,
    startedAt: event.startedAt,
    finishedAt: event.finishedAt,
    workerId,
  };
}

// The engine mutates the state it hands to subscribers while other nodes of the run go on; a
// checkpoint must be a copy taken before the subscriber awaits anything.
function snapshot(state: RunState): RunState {
  return structuredClone(state);
}

function stepStatus(outcome: AttemptFinishedEvent["outcome"]): "succeeded" | "failed" | "suspended" | "cancelled" {
  return outcome.status;
}

/** Executes runs from queue jobs. One per runtime; any number of runs at once. */
export class RunExecutor {
  readonly #options: RunExecutorOptions;
  readonly #engine: WorkflowEngine;
  readonly #executions = new Map<string, Execution>();
  readonly #definitions = new Map<string, WorkflowDefinition>();
  readonly #checkpoints: CheckpointWriter;
  #handoff = false;

  constructor(options: RunExecutorOptions) {
    this.#options = options;
    this.#checkpoints = new CheckpointWriter({
      store: options.store,
      onFlush: (size) => options.metrics.checkpointBatch.observe(size),
    });
    const credentials = options.credentials;
    const store = options.store;
    this.#engine = new WorkflowEngine({
      registry: options.registry,
      subscriber: this.#subscriber(),
      credentials: async (ref) => (await credentials?.(ref.name)) ?? (await store.credentials.resolve(ref.name)),
      ...(options.services ? { services: options.services as never } : {}),
    });
  }

  /** The kernel engine (to create run states for new runs). */
  get engine(): WorkflowEngine {
    return this.#engine;
  }

  /** Runs executing in this process. */
  get executing(): number {
    return this.#executions.size;
  }

  /** Whether this process executes the run right now. */
  isExecuting(runId: string): boolean {
    return this.#executions.has(runId);
  }

  /** Asks an executing run to pause after its in-flight attempts (true when it executes here). */
  requestPause(runId: string): boolean {
    const execution = this.#executions.get(runId);
    if (execution) execution.pause = true;
    return execution !== undefined;
  }

  /** Cancels an executing run (in-flight attempts see `ctx.signal` abort). */
  requestCancel(runId: string): boolean {
    const execution = this.#executions.get(runId);
    execution?.cancel.abort(new Error("cancelled"));
    return execution !== undefined;
  }

  /**
   * Stops every executing run at its next step boundary: it is checkpointed (still `running`) and
   * its job reports a handoff, so another process continues it. Used when the grace period of a
   * shutdown ran out.
   */
  handOffAll(): void {
    this.#handoff = true;
    for (const execution of this.#executions.values()) execution.handoff = true;
  }

  /** Handles one job; never throws for run-level problems (those end in the run's state). */
  async handle(job: RunJob): Promise<RunJobResult> {
    const { store } = this.#options;
    const lease = await this.#options.leases.acquire(job.runId);
    if (!lease) {
      this.#options.metrics.leaseBusy.inc();
      return { kind: "retry", afterMs: this.#options.leaseRetryMs ?? 1_000 };
    }
    let execution: Execution | undefined;
    try {
      const record = await store.runs.get(job.runId);
      if (!record) return { kind: "done", status: "missing" };
      if (TERMINAL.has(record.status) || record.status === "paused") return { kind: "done", status: record.status };
      const definition = await this.#definitionOf(record);
      let state =
        record.state ??
        this.#engine.createRun({
          runId: record.id,
          workflowId: record.workflowId,
          definition,
          input: record.input as Json,
        });
      execution = {
        runId: record.id,
        lease,
        pause: false,
        handoff: this.#handoff,
        cancel: new AbortController(),
        startedAt: Date.now(),
        deferred: undefined,
      };
      this.#executions.set(record.id, execution);
      this.#options.metrics.runsInFlight.inc();
      if (record.status === "queued") this.#options.metrics.runsStarted.inc({ transport: this.#options.transport });
      const current = execution;
      const options = {
        signal: current.cancel.signal,
        shouldPause: () => current.pause || current.handoff || lease.signal.aborted,
      };
      const waitingNode = job.nodeId ? state.nodes[job.nodeId] : undefined;
      if ((job.kind === "resume" || job.kind === "delay") && job.nodeId && waitingNode?.status === "waiting") {
        if (job.kind === "delay" && job.until && Date.parse(job.until) > Date.now() + 50) {
          // Arrived early (clock skew between processes): ask again when due.
          await this.#options.scheduleDelay({ runId: record.id, nodeId: job.nodeId, kind: "delay", until: job.until });
          return { kind: "done", status: state.status };
        }
        state = await this.#engine.resume(definition, state, job.nodeId, job.payload ?? null, options);
      } else if (state.status === "waiting") {
        // A stale resume, a redelivered job of a run that already suspended, or recovery after a
        // restart: make sure its waits are in place, and apply an approval decided meanwhile (its
        // resume job may have been lost with an inline process).
        const decided = await this.#ensureWaits(state);
        if (!decided) return { kind: "done", status: "waiting" };
        state = await this.#engine.resume(definition, state, decided.nodeId, decided.payload, options);
      } else {
        state = await this.#engine.execute(definition, state, options);
      }
      if (state.status === "paused") {
        await lease.assert();
        if (current.handoff && !current.pause) {
          await this.#checkpoint(record.id, current, {
            state: { ...state, status: "running" },
            status: "running",
            workerId: this.#options.workerId,
          });
          return { kind: "handoff" };
        }
        await this.#checkpoint(record.id, current, { state, status: "paused", workerId: this.#options.workerId });
        this.#publish({ type: "run.suspended", runId: record.id, status: "paused" });
      } else if (current.deferred) {
        // The run ended without its final checkpoint taking the last attempt along: write it now.
        await lease.assert();
        await this.#checkpoint(record.id, current, {
          state: snapshot(state),
          status: state.status,
          workerId: this.#options.workerId,
        });
      }
      return { kind: "done", status: state.status };
    } catch (error) {
      if (error instanceof LeaseLostError || lease.signal.aborted) {
        this.#options.metrics.leaseLost.inc();
        return { kind: "done", status: "lease-lost" };
      }
      if (error instanceof WeftError && !error.retryable && PERMANENT_RUN_ERRORS.has(error.code)) {
        await store.runs.markStatus(job.runId, "failed", {
          from: ["queued", "running", "waiting"],
          error: error.toJSON(),
        });
        this.#publish({ type: "run.finished", runId: job.runId, status: "failed" });
        return { kind: "done", status: "failed" };
      }
      throw error;
    } finally {
      if (execution) {
        this.#executions.delete(execution.runId);
        this.#options.metrics.runsInFlight.dec();
      }
      await lease.release();
    }
  }

  /**
   * Schedules delays and creates approval rows for every waiting node (idempotent). Returns the
   * first approval already decided for a waiting node, as a resume.
   */
  async #ensureWaits(state: RunState): Promise<{ nodeId: string; payload: Json } | undefined> {
    const { store } = this.#options;
    let approvals: ApprovalRecord[] | undefined;
    let decided: { nodeId: string; payload: Json } | undefined;
    for (const [nodeId, node] of Object.entries(state.nodes)) {
      if (node.status !== "waiting" || !node.wait) continue;
      const wait = node.wait;
      if (wait.kind === "delay") {
        await this.#options.scheduleDelay({
          runId: state.runId,
          nodeId,
          kind: "delay",
          ...(wait.until ? { until: wait.until } : {}),
        });
      } else if (wait.kind === "approval") {
        approvals ??= await store.approvals.listForRun(state.runId);
        const existing = approvals.find((a) => a.nodeId === nodeId);
        if (existing) {
          if ((existing.status === "approved" || existing.status === "rejected") && existing.decidedBy)
            decided ??= {
              nodeId,
              payload: {
                decision: existing.status,
                by: existing.decidedBy,
                ...(existing.comment ? { comment: existing.comment } : {}),
              },
            };
          // Expired by a scheduler that died before resuming the run: resume it the same way.
          else if (existing.status === "expired") decided ??= { nodeId, payload: { ...EXPIRED_APPROVAL_DECISION } };
          continue;
        }
        const data = (wait.data ?? {}) as Record<string, Json>;
        const text = (key: string) => (typeof data[key] === "string" ? (data[key] as string) : null);
        await store.approvals.create({
          runId: state.runId,
          nodeId,
          title: text("title"),
          details: data,
          approverRole: text("approverRole"),
          approverUser: text("approverUser"),
          expiresAt: wait.until ?? null,
        });
      }
    }
    return decided;
  }

  /**
   * Writes a checkpoint through the group commit, fenced by the run's lease. A deferred last
   * attempt rides along, and its `node.finished` event follows the commit.
   */
  async #checkpoint(runId: string, execution: Execution | undefined, input: CheckpointInput): Promise<void> {
    const deferred = execution?.deferred;
    await this.#checkpoints.write(
      runId,
      deferred ? { ...input, step: deferred.step } : input,
      execution ? { signal: execution.lease.signal, workerId: this.#options.workerId } : undefined,
    );
    if (execution && deferred) {
      execution.deferred = undefined;
      this.#attemptWritten(deferred.event);
    }
  }

  #attemptWritten(event: AttemptFinishedEvent): void {
    const { metrics } = this.#options;
    const outcome = event.outcome;
    const seconds = (Date.parse(event.finishedAt) - Date.parse(event.startedAt)) / 1000;
    metrics.steps.inc({ node_type: event.nodeType, status: outcome.status });
    if (Number.isFinite(seconds)) metrics.stepDuration.observe({ node_type: event.nodeType }, seconds);
    this.#publish({
      type: "node.finished",
      runId: event.runId,
      nodeId: event.nodeId,
      attempt: event.attempt,
      status: outcome.status,
      outcome,
    });
  }

  async #definitionOf(record: RunRecord): Promise<WorkflowDefinition> {
    const key = record.workflowVersionId ?? `${record.workflowId}@${record.version ?? "latest"}`;
    const cached = this.#definitions.get(key);
    if (cached) return cached;
    const version = record.workflowVersionId
      ? await this.#options.store.workflows.getVersionById(record.workflowVersionId)
      : await this.#options.store.workflows.getVersion(record.workflowId, record.version ?? "latest");
    if (!version) throw new Error(`run ${record.id}: its workflow version is gone`);
    const definition = version.definition as unknown as WorkflowDefinition;
    // Versions are immutable, so the cache never goes stale; it is bounded to stay small.
    if (this.#definitions.size > 500) this.#definitions.clear();
    this.#definitions.set(key, definition);
    return definition;
  }

  #publish(event: Omit<Parameters<RunEventBus["publish"]>[0], "at">): void {
    this.#options.events.publish({ ...event, at: new Date().toISOString() });
  }

  #subscriber() {
    const options = this.#options;
    const executions = this.#executions;
    const metrics = options.metrics;
    const publish = this.#publish.bind(this);
    const ensureWaits = this.#ensureWaits.bind(this);
    const checkpoint = this.#checkpoint.bind(this);
    const attemptWritten = this.#attemptWritten.bind(this);
    const leaseOf = async (runId: string): Promise<Execution | undefined> => {
      const execution = executions.get(runId);
      await execution?.lease.assert();
      return execution;
    };
    return {
      async runStarted(event: { runId: string }) {
        // No write here: the first attempt's checkpoint (a moment later) moves the row to running.
        publish({ type: "run.started", runId: event.runId, status: "running" });
      },
      async nodeStarted(event: { runId: string; nodeId: string; attempt: number }) {
        publish({ type: "node.started", runId: event.runId, nodeId: event.nodeId, attempt: event.attempt });
      },
      async attemptFinished(event: AttemptFinishedEvent) {
        const step = stepOf(event, options.workerId);
        const execution = executions.get(event.runId);
        if (execution && endsRun(event)) {
          // Nothing depends on this attempt: its step row commits with the run's final state.
          execution.deferred = { step, event };
          return;
        }
        const state = snapshot(event.state);
        await checkpoint(event.runId, await leaseOf(event.runId), {
          state,
          status: state.status,
          workerId: options.workerId,
          step,
        });
        attemptWritten(event);
      },
      async nodeSkipped(event: { runId: string; nodeId: string }) {
        publish({ type: "node.skipped", runId: event.runId, nodeId: event.nodeId, status: "skipped" });
      },
      async runSuspended(event: { runId: string; waiting: string[]; state: RunState }) {
        const state = snapshot(event.state);
        const execution = await leaseOf(event.runId);
        // Approval rows (and delay jobs) exist before the run reads as waiting, so whoever sees
        // "waiting" can decide the approval at once.
        await ensureWaits(state);
        await checkpoint(event.runId, execution, { state, status: "waiting", workerId: options.workerId });
        for (const nodeId of event.waiting)
          metrics.runsSuspended.inc({ kind: state.nodes[nodeId]?.wait?.kind ?? "unknown" });
        publish({ type: "run.suspended", runId: event.runId, status: "waiting" });
      },
      async runFinished(event: { runId: string; status: string; state: RunState }) {
        const state = snapshot(event.state);
        const execution = await leaseOf(event.runId);
        await checkpoint(event.runId, execution, {
          state,
          status: state.status,
          workerId: options.workerId,
          ...(state.output !== undefined ? { output: state.output } : {}),
          ...(state.error !== undefined ? { error: state.error } : {}),
        });
        metrics.runsFinished.inc({ status: state.status });
        const seconds = (Date.now() - Date.parse(state.startedAt)) / 1000;
        if (Number.isFinite(seconds)) metrics.runDuration.observe({ status: state.status }, seconds);
        publish({ type: "run.finished", runId: event.runId, status: state.status });
      },
    };
  }
}

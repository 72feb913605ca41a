// createRuntime: the runtime the API server, the CLI and the worker use. It owns the transport (inline
// or bullmq), the RunExecutor, the event bus, leases, rate limiter and metrics, and implements the run
// operations (start, resume, pause, cancel, wait).
import { hostname } from "node:os";
import { type Json, type RunState, validate, type WorkflowDefinition } from "@weft/kernel";
import { SANDBOX_POOL, SandboxPool } from "@weft/sandbox";
import type { RunRecord, Store } from "@weft/store";
import { Redis } from "ioredis";
import pino, { type Logger } from "pino";
import type { Registry } from "prom-client";
import { intSetting } from "./env.ts";
import { RunNotActiveError, RunNotFoundError, RunNotWaitingError, RuntimeError } from "./errors.ts";
import { type RunEvent, RunEventBus, type RunEventListener } from "./events.ts";
import { type CredentialSource, RunExecutor } from "./executor.ts";
import { type LeaseProvider, LocalLeaseProvider, RedisLeaseProvider } from "./lease.ts";
import type { PluginCatalog } from "./loader/index.ts";
import { createMetrics, type RuntimeMetrics } from "./metrics.ts";
import { type QueueSettings, queueSettingsFromEnv } from "./queue.ts";
import { MemoryRateLimiter, RATE_LIMITER, type RateLimiter, RedisRateLimiter } from "./rate-limiter.ts";
import { type ReconcileReport, RunReconciler } from "./reconciler.ts";
import { sandboxOptionsFromEnv } from "./sandbox-settings.ts";
import { BullmqTransport } from "./transports/bullmq.ts";
import { InlineTransport } from "./transports/inline.ts";
import type { Transport } from "./transports/transport.ts";

/** Options of {@link createRuntime}. */
export interface RuntimeOptions {
  /** An opened store (the caller closes it after `runtime.stop()`). */
  store: Store;
  /** Plugins loaded by `loadPlugins()`. Only `registry` is used. */
  catalog: Pick<PluginCatalog, "registry">;
  /** Default: "bullmq" when `redisUrl` (or REDIS_URL) is set, else "inline". */
  transport?: "inline" | "bullmq";
  redisUrl?: string;
  /** Runs executing at once in this process (inline) / the BullMQ worker's concurrency. Default 10. */
  concurrency?: number;
  /** Recorded on every step and run checkpoint. Default WEFT_WORKER_ID, else `${hostname}-${pid}`. */
  workerId?: string;
  /** Credentials looked up before the store's (e.g. `weft run --credentials file.json`). */
  credentials?: CredentialSource;
  /**
   * The isolated-vm pool script nodes get as the run-scoped service SANDBOX_POOL (default: created on
   * first use, sized and bounded by WEFT_SANDBOX_POOL_SIZE, WEFT_SANDBOX_MAX_MEMORY_MB, WEFT_SANDBOX_MAX_TIMEOUT_MS).
   */
  sandbox?: SandboxPool;
  /** bullmq: also run a worker in this process (the API process does not by default). Inline always executes. */
  startWorkers?: boolean;
  /** Queue/lock/lease settings; defaults from the environment (see docs/operations.md). */
  queue?: Partial<QueueSettings>;
  /** Jobs the inline queue holds before startRun refuses with WEFT_E_QUEUE_FULL. Default 100 000. */
  inlineCapacity?: number;
  logger?: Logger;
  /** Also expose Node.js process metrics (weft_process_*) on `metrics`. */
  processMetrics?: boolean;
}

/** What {@link Runtime.startRun} takes. */
export interface StartRunInput {
  workflowId: string;
  /** Exact semver of a published version; default the latest. */
  version?: string;
  input?: Json;
  trigger?: { type: "manual" | "webhook" | "schedule" | "api"; id?: string };
  parentRunId?: string;
  /** Runs this definition instead of a published version; it is published as a snapshot version first. */
  definition?: WorkflowDefinition;
}

/** The running runtime. */
export interface Runtime {
  readonly transport: "inline" | "bullmq";
  readonly workerId: string;
  /** prom-client registry with the weft_* metrics. */
  readonly metrics: Registry;
  /** The rate limiter plugins get as the run-scoped service "weft.rateLimiter". */
  readonly rateLimiter: RateLimiter;
  start(): Promise<void>;
  startRun(input: StartRunInput): Promise<{ runId: string; status: "queued" }>;
  resumeRun(runId: string, nodeId: string, payload: Json): Promise<void>;
  cancelRun(runId: string): Promise<void>;
  pauseRun(runId: string): Promise<void>;
  unpauseRun(runId: string): Promise<void>;
  subscribe(runId: string, listener: RunEventListener): () => void;
  /** Resolves when the run is terminal or waiting (with `terminal: true`, only when terminal). */
  waitForRun(runId: string, options?: { timeoutMs?: number; terminal?: boolean }): Promise<RunRecord>;
  /**
   * One pass of the stranded-run reconciler (bullmq; a worker also runs it every
   * `reconcileIntervalMs`): re-queues queued runs without a job, running runs nobody holds, and
   * waiting runs whose approval is decided or whose delay is due. Inline: nothing to do (start()
   * recovers), all zeros.
   */
  reconcile(): Promise<ReconcileReport>;
  /** Why this runtime cannot take work right now (empty when ready). */
  problems(): Promise<string[]>;
  stop(options?: { graceMs?: number }): Promise<void>;
}

const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);

/** The default worker id: WEFT_WORKER_ID, else `${hostname}-${pid}`. */
export function defaultWorkerId(env: NodeJS.ProcessEnv = process.env): string {
  return env.WEFT_WORKER_ID || `${hostname()}-${process.pid}`;
}

/** Creates (but does not start) a runtime. */
export async function createRuntime(options: RuntimeOptions): Promise<Runtime> {
  const redisUrl = options.redisUrl ?? process.env.REDIS_URL;
  const transportName = options.transport ?? (redisUrl ? "bullmq" : "inline");
  if (transportName === "bullmq" && !redisUrl)
    throw new RuntimeError("WEFT_E_RUNTIME_CONFIG", "the bullmq transport needs redisUrl or REDIS_URL");
  const store = options.store;
  const workerId = options.workerId ?? defaultWorkerId();
  const concurrency = options.concurrency ?? 10;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new RuntimeError("WEFT_E_RUNTIME_CONFIG", `concurrency must be a positive integer, got ${concurrency}`);
  const settings: QueueSettings = { ...queueSettingsFromEnv(), ...options.queue };
  // Read now, so a bad value stops the process at start-up rather than at the first script.
  const sandboxOptions = options.sandbox ? undefined : sandboxOptionsFromEnv();
  const logger =
    options.logger ?? pino({ name: "weft-runtime", level: process.env.WEFT_LOG_LEVEL ?? "info", base: { workerId } });
  const events = new RunEventBus();

  let redis: Redis | undefined;
  let pipelined: Redis | undefined;
  let transport: Transport;
  let leases: LeaseProvider;
  let rateLimiter: RateLimiter;
  if (transportName === "bullmq") {
    // BullMQ workers need maxRetriesPerRequest: null so blocking commands survive reconnects.
    redis = new Redis(redisUrl as string, { maxRetriesPerRequest: null });
    redis.on("error", (error) => logger.warn({ err: error }, "redis connection error"));
    transport = new BullmqTransport({
      redis,
      settings,
      concurrency,
      workerId,
      onError: (error, context) => logger.error({ err: error, context }, "queue error"),
    });
    // Leases and live events are small commands of many runs at once: on their own connection with
    // auto-pipelining, the commands of one turn of the event loop leave in one write. (BullMQ's
    // blocking commands must not share it.)
    pipelined = redis.duplicate({ enableAutoPipelining: true });
    pipelined.on("error", (error) => logger.warn({ err: error }, "redis connection error"));
    leases = new RedisLeaseProvider({
      redis: pipelined,
      prefix: settings.prefix,
      workerId,
      ttlMs: settings.leaseTtlMs,
    });
    rateLimiter = new RedisRateLimiter(redis, settings.prefix);
  } else {
    transport = new InlineTransport({
      concurrency,
      capacity: options.inlineCapacity ?? 100_000,
      onError: (error, job) => logger.error({ err: error, runId: job.runId, kind: job.kind }, "run job failed"),
    });
    leases = new LocalLeaseProvider();
    rateLimiter = new MemoryRateLimiter();
  }
  const metrics: RuntimeMetrics = createMetrics({
    depth: () => transport.depth(),
    defaultMetrics: options.processMetrics ?? false,
  });
  // Isolates cost memory and start-up time: the pool is created when a node first asks for it.
  let sandbox = options.sandbox;
  let ownsSandbox = false;
  const sandboxPool = (): SandboxPool => {
    if (!sandbox) {
      sandbox = new SandboxPool(sandboxOptions);
      ownsSandbox = true;
    }
    return sandbox;
  };
  const executor = new RunExecutor({
    store,
    registry: options.catalog.registry,
    workerId,
    transport: transportName,
    events,
    metrics,
    leases,
    ...(options.credentials ? { credentials: options.credentials } : {}),
    services: (container) => {
      container.register(RATE_LIMITER, { useValue: rateLimiter });
      container.register(SANDBOX_POOL, { useFactory: sandboxPool });
    },
    scheduleDelay: (wait) => transport.scheduleDelay(wait),
  });

  const executesHere = transportName === "inline" || options.startWorkers === true;
  let started = false;
  let stopped = false;
  const reconciler =
    transport instanceof BullmqTransport
      ? new RunReconciler({
          store,
          leases,
          enqueueOnce: (job, key) => (transport as BullmqTransport).enqueueOnce(job, key),
          afterMs: settings.reconcileAfterMs,
        })
      : undefined;
  let reconcileTimer: NodeJS.Timeout | undefined;
  let reconciling: Promise<ReconcileReport> | undefined;
  const reconcile = (): Promise<ReconcileReport> => {
    if (!reconciler) return Promise.resolve({ queued: 0, running: 0, waiting: 0 });
    reconciling ??= reconciler.reconcile().finally(() => {
      reconciling = undefined;
    });
    return reconciling;
  };

  events.onControl((message) => {
    if (message.command === "cancel") executor.requestCancel(message.runId);
    else executor.requestPause(message.runId);
  });

  async function mustGet(runId: string): Promise<RunRecord> {
    const record = await store.runs.get(runId);
    if (!record) throw new RunNotFoundError(runId);
    return record;
  }

  function assertRunning(): void {
    if (stopped) throw new RuntimeError("WEFT_E_RUNTIME_STOPPED", "the runtime is stopped");
  }

  /** Runs `fn` holding the run's lease when no process executes it; returns false when one does. */
  async function whileIdle(runId: string, fn: () => Promise<void>): Promise<boolean> {
    const lease = await leases.acquire(runId);
    if (!lease) return false;
    try {
      await fn();
      return true;
    } finally {
      await lease.release();
    }
  }

  const runtime: Runtime = {
    transport: transportName,
    workerId,
    metrics: metrics.registry,
    rateLimiter,

    async start() {
      if (started) return;
      started = true;
      if (redis) await events.connect(redis, settings.prefix, pipelined);
      if (executesHere) await transport.startProcessing(executor);
      if (reconciler && executesHere && settings.reconcileIntervalMs > 0) {
        reconcileTimer = setInterval(() => {
          reconcile().then(
            (report) => {
              if (report.queued + report.running + report.waiting > 0)
                logger.warn({ ...report }, "re-queued stranded runs");
            },
            (error: unknown) => logger.warn({ err: error }, "reconciling stranded runs failed"),
          );
        }, settings.reconcileIntervalMs);
        reconcileTimer.unref();
      }
      if (transport instanceof InlineTransport) {
        const recovered = await transport.recover(store);
        if (recovered > 0) logger.info({ recovered }, "continuing runs left by a previous process");
      }
    },

    async startRun(input) {
      assertRunning();
      // Everything that can refuse the run is checked before anything is written: a refused start
      // leaves no version, no status change and no run row.
      const run = {
        triggerKind: input.trigger?.type ?? "manual",
        ...(input.trigger?.id ? { triggerId: input.trigger.id } : {}),
        ...(input.input !== undefined ? { input: input.input } : {}),
        ...(input.parentRunId ? { parentRunId: input.parentRunId } : {}),
      };
      let runId: string;
      if (input.definition) {
        const issues = validate(input.definition, options.catalog.registry);
        if (issues.length > 0)
          throw new RuntimeError("WEFT_E_INVALID_WORKFLOW", `the workflow definition has ${issues.length} problem(s)`, {
            issues: issues as unknown as Json,
          });
        // The snapshot version and the run commit together: a run the store refuses publishes nothing.
        const created = await store.workflows.publishAndCreateRun(
          input.workflowId,
          {
            definition: input.definition as unknown as Json,
            notes: "snapshot of a definition run directly",
            publishedBy: "runtime",
          },
          run,
        );
        runId = created.runId;
      } else {
        try {
          const record = await store.runs.create({
            workflowId: input.workflowId,
            ...(input.version ? { version: input.version } : {}),
            ...run,
            requirePublished: true,
          });
          runId = record.id;
        } catch (error) {
          const store = error as { code?: unknown; details?: { entity?: unknown } };
          if (!input.version && store.code === "WEFT_E_STORE_NOT_FOUND" && store.details?.entity === "workflow version")
            throw new RuntimeError(
              "WEFT_E_WORKFLOW_NOT_PUBLISHED",
              `workflow ${input.workflowId} has no published version to run`,
              { workflowId: input.workflowId },
              { cause: error },
            );
          throw error;
        }
      }
      await transport.enqueue({ runId, kind: "start" });
      return { runId, status: "queued" };
    },

    async resumeRun(runId, nodeId, payload) {
      assertRunning();
      const record = await mustGet(runId);
      const node = record.state?.nodes[nodeId];
      if (node?.status !== "waiting") throw new RunNotWaitingError(runId, nodeId, node?.status ?? "unknown");
      await transport.enqueue({ runId, kind: "resume", nodeId, payload });
    },

    async cancelRun(runId) {
      const record = await mustGet(runId);
      if (TERMINAL.has(record.status)) throw new RunNotActiveError(runId, record.status, "cancel");
      if (executor.requestCancel(runId)) return;
      const done = await whileIdle(runId, async () => {
        const fresh = await mustGet(runId);
        if (TERMINAL.has(fresh.status)) return;
        const at = new Date().toISOString();
        const state: RunState | null = fresh.state
          ? {
              ...fresh.state,
              status: "cancelled",
              finishedAt: at,
              nodes: Object.fromEntries(
                Object.entries(fresh.state.nodes).map(([id, node]) => [
                  id,
                  ["pending", "running", "waiting"].includes(node.status)
                    ? { ...node, status: "cancelled" as const, finishedAt: at }
                    : node,
                ]),
              ),
            }
          : null;
        if (state) await store.runs.checkpoint(runId, { state, status: "cancelled" });
        else await store.runs.markStatus(runId, "cancelled");
        events.publish({ type: "run.finished", runId, status: "cancelled", at });
      });
      // Executing in another process: it aborts the run when the message arrives.
      if (!done) await events.sendControl({ runId, command: "cancel" });
    },

    async pauseRun(runId) {
      const record = await mustGet(runId);
      if (record.status !== "queued" && record.status !== "running")
        throw new RunNotActiveError(runId, record.status, "pause");
      if (executor.requestPause(runId)) return;
      const done = await whileIdle(runId, async () => {
        await store.runs.markStatus(runId, "paused", { from: ["queued", "running"] });
        events.publish({ type: "run.suspended", runId, status: "paused", at: new Date().toISOString() });
      });
      if (!done) await events.sendControl({ runId, command: "pause" });
    },

    async unpauseRun(runId) {
      assertRunning();
      const record = await mustGet(runId);
      if (record.status !== "paused") throw new RunNotActiveError(runId, record.status, "unpause");
      await store.runs.markStatus(runId, record.state ? "running" : "queued", { from: ["paused"] });
      await transport.enqueue({ runId, kind: "continue" });
    },

    subscribe(runId, listener) {
      return events.subscribe(runId, listener);
    },

    async waitForRun(runId, waitOptions = {}) {
      const deadline = Date.now() + (waitOptions.timeoutMs ?? 60_000);
      const settled = (record: RunRecord) =>
        TERMINAL.has(record.status) || (!waitOptions.terminal && record.status === "waiting");
      let wake: (() => void) | undefined;
      const unsubscribe = events.subscribe(runId, (event: RunEvent) => {
        if (event.type === "run.finished" || event.type === "run.suspended") wake?.();
      });
      try {
        for (;;) {
          const record = await mustGet(runId);
          if (settled(record)) return record;
          const left = deadline - Date.now();
          if (left <= 0)
            throw new RuntimeError("WEFT_E_RUN_WAIT_TIMEOUT", `run ${runId} is still ${record.status}`, {
              runId,
              status: record.status,
            });
          // Events wake us early; the poll covers an event missed between the read and the subscription.
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, Math.min(left, 250));
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
        }
      } finally {
        unsubscribe();
      }
    },

    reconcile,

    async problems() {
      const problems = await transport.problems();
      if (stopped) problems.push("stopped");
      return problems;
    },

    async stop(stopOptions = {}) {
      if (stopped) return;
      stopped = true;
      clearInterval(reconcileTimer);
      await reconciling?.catch(() => {});
      const graceMs = stopOptions.graceMs ?? intSetting(process.env, "WEFT_SHUTDOWN_GRACE_MS", 30_000);
      await transport.stop(graceMs, executesHere ? executor : undefined);
      await leases.close();
      await events.close();
      if (ownsSandbox) await sandbox?.dispose();
      if (pipelined) await pipelined.quit().catch(() => pipelined?.disconnect());
      if (redis) await redis.quit().catch(() => redis?.disconnect());
    },
  };
  return runtime;
}

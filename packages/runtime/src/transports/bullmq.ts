// BullMQ transport: one queue carries every run job; workers in any number of processes take them.
// A job whose worker dies is re-delivered by BullMQ's stalled-job check (maxStalledCount is kept
// very high so it is never failed for that) and the run continues from its last checkpoint.
import { DelayedError, type Job, Queue, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { PendingWait, RunExecutor } from "../executor.ts";
import { jobId, type QueueSettings, RUN_QUEUE_NAME, type RunJob } from "../queue.ts";
import type { Transport } from "./transport.ts";

export interface BullmqTransportOptions {
  redis: Redis;
  settings: QueueSettings;
  concurrency: number;
  workerId: string;
  onError: (error: unknown, context: string) => void;
}

export class BullmqTransport implements Transport {
  readonly name = "bullmq";
  readonly queue: Queue<RunJob>;
  readonly #options: BullmqTransportOptions;
  #worker: Worker<RunJob> | undefined;
  #stopping = false;

  constructor(options: BullmqTransportOptions) {
    this.#options = options;
    const { settings } = options;
    this.queue = new Queue<RunJob>(RUN_QUEUE_NAME, {
      connection: options.redis,
      prefix: settings.prefix,
      defaultJobOptions: {
        // Finished jobs carry nothing the database does not: drop them at once.
        removeOnComplete: true,
        removeOnFail: { age: 7 * 24 * 3600 },
        attempts: settings.attempts,
        backoff: { type: "exponential", delay: settings.backoffMs },
      },
    });
    this.queue.on("error", (error) => options.onError(error, "queue"));
  }

  async enqueue(job: RunJob): Promise<void> {
    // The start job's id makes a double submission of the same run one job.
    await this.queue.add(job.kind, job, job.kind === "start" ? { jobId: jobId("start", job.runId) } : {});
  }

  /**
   * Adds `job` under the id `key` unless a job with that id is waiting, delayed or active (so any
   * number of workers may ask at once); a failed job kept under that id is replaced.
   */
  async enqueueOnce(job: RunJob, key: string): Promise<boolean> {
    const existing = await this.queue.getJob(key);
    if (existing) {
      if (!(await existing.isFailed())) return false;
      await existing.remove().catch(() => {});
    }
    await this.queue.add(job.kind, job, { jobId: key });
    return true;
  }

  async scheduleDelay(wait: PendingWait): Promise<void> {
    const due = wait.until ? Date.parse(wait.until) : Date.now();
    const at = Number.isFinite(due) ? due : Date.now();
    const job: RunJob = {
      runId: wait.runId,
      kind: "delay",
      nodeId: wait.nodeId,
      ...(wait.until ? { until: wait.until } : {}),
    };
    await this.queue.add("delay", job, {
      delay: Math.max(0, at - Date.now()),
      jobId: jobId("delay", wait.runId, wait.nodeId, at),
    });
  }

  async startProcessing(executor: RunExecutor): Promise<void> {
    if (this.#worker) return;
    const { settings } = this.#options;
    const worker = new Worker<RunJob>(
      RUN_QUEUE_NAME,
      async (job: Job<RunJob>, token?: string) => {
        const result = await executor.handle(job.data);
        if (result.kind === "done") return result.status;
        // Leased elsewhere, or handed over on shutdown: give the job back without using an attempt.
        const afterMs = result.kind === "retry" ? result.afterMs : 0;
        await job.moveToDelayed(Date.now() + afterMs, token);
        throw new DelayedError();
      },
      {
        connection: this.#options.redis,
        prefix: settings.prefix,
        name: this.#options.workerId,
        concurrency: this.#options.concurrency,
        lockDuration: settings.lockDurationMs,
        stalledInterval: settings.stalledIntervalMs,
        maxStalledCount: settings.maxStalledCount,
        autorun: false,
      },
    );
    worker.on("error", (error) => this.#options.onError(error, "worker"));
    worker.on("failed", (job, error) => {
      if (job && !(error instanceof DelayedError)) this.#options.onError(error, `job ${job.id} (${job.data.runId})`);
    });
    this.#worker = worker;
    worker.run().catch((error) => this.#options.onError(error, "worker loop"));
    await worker.waitUntilReady();
  }

  async depth(): Promise<Record<string, number>> {
    const counts = await this.queue.getJobCounts("waiting", "active", "delayed", "prioritized", "failed");
    return { ...counts };
  }

  async problems(): Promise<string[]> {
    const problems: string[] = [];
    if (this.#stopping) problems.push("draining: not taking new jobs");
    try {
      await this.#options.redis.ping();
    } catch (error) {
      problems.push(`redis unreachable: ${String(error)}`);
    }
    if (this.#worker && !this.#worker.isRunning() && !this.#stopping) problems.push("worker is not running");
    return problems;
  }

  async stop(graceMs: number, executor: RunExecutor | undefined): Promise<void> {
    this.#stopping = true;
    const worker = this.#worker;
    if (worker) {
      // close() stops fetching at once and resolves when the active jobs ended.
      const closed = worker.close();
      let timer: NodeJS.Timeout | undefined;
      const inTime = await Promise.race([
        closed.then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), graceMs);
        }),
      ]);
      clearTimeout(timer);
      if (!inTime) {
        // Runs still in flight stop at their next step boundary and give their job back.
        executor?.handOffAll();
        const handedOver = await Promise.race([
          closed.then(() => true),
          new Promise<boolean>((resolve) => {
            timer = setTimeout(() => resolve(false), Math.min(graceMs, 5_000));
          }),
        ]);
        clearTimeout(timer);
        // A node that still runs is abandoned (BullMQ's close() would wait for it): the process
        // exits, its job lock expires and another worker retries the attempt with the same
        // idempotency key, exactly as after a crash.
        if (!handedOver) closed.catch(() => {});
      }
    }
    await this.queue.close().catch(() => {});
  }
}

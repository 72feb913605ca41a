// Inline transport: the executor runs in this process, fed by a bounded in-process queue. Runs still
// checkpoint to PostgreSQL, so a restart finds queued, interrupted and waiting runs and continues them.
import type { Store } from "@weft/store";
import type { PendingWait, RunExecutor } from "../executor.ts";
import { jobId, type RunJob } from "../queue.ts";
import { InlineQueue } from "./inline-queue.ts";
import type { Transport } from "./transport.ts";

export interface InlineTransportOptions {
  concurrency: number;
  capacity: number;
  onError: (error: unknown, job: RunJob) => void;
}

export class InlineTransport implements Transport {
  readonly name = "inline";
  readonly #options: InlineTransportOptions;
  #queue: InlineQueue | undefined;
  /** Jobs queued before processing started (startRun before start()). */
  readonly #early: RunJob[] = [];
  readonly #earlyDelays: PendingWait[] = [];

  constructor(options: InlineTransportOptions) {
    this.#options = options;
  }

  async enqueue(job: RunJob): Promise<void> {
    if (this.#queue) this.#queue.push(job);
    else this.#early.push(job);
  }

  async scheduleDelay(wait: PendingWait): Promise<void> {
    if (!this.#queue) {
      this.#earlyDelays.push(wait);
      return;
    }
    const at = wait.until ? Date.parse(wait.until) : Date.now();
    const job: RunJob = {
      runId: wait.runId,
      kind: "delay",
      nodeId: wait.nodeId,
      ...(wait.until ? { until: wait.until } : {}),
    };
    this.#queue.schedule(jobId("delay", wait.runId, wait.nodeId), job, Number.isFinite(at) ? at : Date.now());
  }

  async startProcessing(executor: RunExecutor): Promise<void> {
    if (this.#queue) return;
    let failures = new Map<string, number>();
    const queue: InlineQueue = new InlineQueue({
      concurrency: this.#options.concurrency,
      capacity: this.#options.capacity,
      handler: async (job) => {
        const result = await executor.handle(job);
        failures.delete(job.runId);
        return result;
      },
      onError: (error, job) => {
        this.#options.onError(error, job);
        // Infrastructure trouble (database briefly unreachable): retry with backoff, as BullMQ would.
        const count = (failures.get(job.runId) ?? 0) + 1;
        if (failures.size > 10_000) failures = new Map();
        failures.set(job.runId, count);
        if (count <= 12)
          queue.schedule(jobId("retry", job.runId), job, Date.now() + Math.min(60_000, 500 * 2 ** (count - 1)));
      },
    });
    this.#queue = queue;
    for (const job of this.#early.splice(0)) queue.push(job);
    for (const wait of this.#earlyDelays.splice(0)) await this.scheduleDelay(wait);
  }

  /** Re-queues what a previous process left behind: queued, interrupted and waiting runs. */
  async recover(store: Store): Promise<number> {
    let recovered = 0;
    for (let offset = 0; ; offset += 500) {
      const page = await store.runs.list({ status: ["queued", "running", "waiting"], limit: 500, offset });
      for (const run of page.items) {
        // A waiting run's job only re-arms its delays and picks up decided approvals.
        await this.enqueue({ runId: run.id, kind: run.status === "queued" ? "start" : "continue" });
        recovered++;
      }
      if (page.items.length < 500) return recovered;
    }
  }

  async depth(): Promise<Record<string, number>> {
    const depth = this.#queue?.depth ?? { waiting: this.#early.length, active: 0, delayed: 0 };
    return { ...depth };
  }

  async problems(): Promise<string[]> {
    return [];
  }

  async stop(graceMs: number, executor: RunExecutor | undefined): Promise<void> {
    const queue = this.#queue;
    if (!queue) return;
    const drained = await queue.drain(graceMs);
    if (drained) return;
    // Grace is over: in-flight runs stop at their next step boundary, checkpointed as running; the
    // next start() of a process on this database continues them.
    executor?.handOffAll();
    await queue.settled();
  }
}

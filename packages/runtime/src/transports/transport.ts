// The seam between the runtime and where jobs travel: in-process (inline) or BullMQ on Redis.
import type { PendingWait, RunExecutor } from "../executor.ts";
import type { RunJob } from "../queue.ts";

export interface Transport {
  readonly name: "inline" | "bullmq";
  /** Queues a job (start, resume, continue). */
  enqueue(job: RunJob): Promise<void>;
  /** Brings a delayed node back when due; idempotent per run, node and due time. */
  scheduleDelay(wait: PendingWait): Promise<void>;
  /** Starts handing jobs to the executor (inline: always; bullmq: when this process runs a worker). */
  startProcessing(executor: RunExecutor): Promise<void>;
  /** Jobs by state (waiting, active, delayed), for metrics. */
  depth(): Promise<Record<string, number>>;
  /** Why this transport cannot take work right now (empty when it can). */
  problems(): Promise<string[]>;
  /**
   * Stops taking jobs and lets in-flight ones finish for `graceMs`; then asks the executor to hand
   * the rest over (checkpoint, give the job back) and waits a little more before giving up.
   */
  stop(graceMs: number, executor: RunExecutor | undefined): Promise<void>;
}

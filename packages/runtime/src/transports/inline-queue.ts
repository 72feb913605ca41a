// The inline transport's in-process queue: FIFO, bounded (capacity and concurrency), one job per run
// at a time, and timers for delayed jobs.
import { RuntimeError } from "../errors.ts";
import type { RunJob, RunJobHandler } from "../queue.ts";

/** Longest single timer: setTimeout overflows past 2^31-1 ms; longer delays re-arm. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface InlineQueueOptions {
  concurrency: number;
  /** Jobs that may wait at once; `push` throws WEFT_E_QUEUE_FULL beyond (due timers are let in regardless). */
  capacity: number;
  handler: RunJobHandler;
  onError: (error: unknown, job: RunJob) => void;
}

export class InlineQueue {
  readonly #options: InlineQueueOptions;
  readonly #waiting: RunJob[] = [];
  /** Jobs of runs that already execute, replayed when the run's current job ends. */
  readonly #deferred = new Map<string, RunJob[]>();
  readonly #active = new Map<string, Promise<void>>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  #accepting = true;
  #idle: (() => void) | undefined;

  constructor(options: InlineQueueOptions) {
    this.#options = options;
  }

  get depth(): { waiting: number; active: number; delayed: number } {
    let deferred = 0;
    for (const jobs of this.#deferred.values()) deferred += jobs.length;
    return { waiting: this.#waiting.length + deferred, active: this.#active.size, delayed: this.#timers.size };
  }

  push(job: RunJob): void {
    if (!this.#accepting) throw new RuntimeError("WEFT_E_RUNTIME_STOPPED", "the runtime is stopping");
    if (this.#waiting.length >= this.#options.capacity)
      throw new RuntimeError("WEFT_E_QUEUE_FULL", `the in-process run queue is full (${this.#options.capacity} jobs)`, {
        capacity: this.#options.capacity,
      });
    this.#admit(job);
  }

  #admit(job: RunJob): void {
    this.#waiting.push(job);
    this.#pump();
  }

  /** Pushes `job` at `at` (ms epoch). A second schedule with the same key replaces the first. */
  schedule(key: string, job: RunJob, at: number): void {
    if (!this.#accepting) return;
    clearTimeout(this.#timers.get(key));
    const wait = Math.max(0, at - Date.now());
    const timer = setTimeout(
      () => {
        this.#timers.delete(key);
        if (wait > MAX_TIMER_MS) this.schedule(key, job, at);
        // A due job was accepted when it was scheduled: it is never refused for capacity (a throw
        // here would be an uncaught exception, and the run would be stranded).
        else if (this.#accepting) this.#admit(job);
      },
      Math.min(wait, MAX_TIMER_MS),
    );
    timer.unref();
    this.#timers.set(key, timer);
  }

  /** Stops taking jobs; resolves when the active ones ended (or after `graceMs`: returns false). */
  async drain(graceMs: number): Promise<boolean> {
    this.#accepting = false;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    this.#waiting.length = 0;
    this.#deferred.clear();
    if (this.#active.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const idle = new Promise<boolean>((resolve) => {
      this.#idle = () => resolve(true);
    });
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), graceMs);
    });
    const drained = await Promise.race([idle, timeout]);
    clearTimeout(timer);
    return drained;
  }

  /** Resolves when every active job ended (after drain() timed out and the runs were told to stop). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#active.values()]);
  }

  #pump(): void {
    while (this.#active.size < this.#options.concurrency && this.#waiting.length > 0) {
      const job = this.#waiting.shift() as RunJob;
      if (this.#active.has(job.runId)) {
        const list = this.#deferred.get(job.runId) ?? [];
        list.push(job);
        this.#deferred.set(job.runId, list);
        continue;
      }
      this.#active.set(job.runId, this.#run(job));
    }
  }

  async #run(job: RunJob): Promise<void> {
    try {
      const result = await this.#options.handler(job);
      if (result.kind === "retry" && this.#accepting)
        this.schedule(`retry.${job.runId}`, job, Date.now() + result.afterMs);
    } catch (error) {
      this.#options.onError(error, job);
    } finally {
      this.#active.delete(job.runId);
      const deferred = this.#deferred.get(job.runId);
      if (deferred) {
        this.#deferred.delete(job.runId);
        this.#waiting.unshift(...deferred);
      }
      if (this.#active.size === 0) this.#idle?.();
      if (this.#accepting) this.#pump();
    }
  }
}

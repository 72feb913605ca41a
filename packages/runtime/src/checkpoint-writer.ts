// Group commit for checkpoints. Runs executing at once in this process each wait on their own
// checkpoint after every attempt; one statement per checkpoint makes PostgreSQL's per-statement cost
// (and the driver's per-query cost) the ceiling of the whole process. The writer coalesces the
// checkpoints that arrive while a flush is in flight into the next flush: one statement, one
// transaction, one round trip for all of them. An idle writer flushes at once (on the next turn of
// the event loop), so a lone run waits for no timer.
//
// Durability is unchanged: `write()` resolves only after the transaction holding that item
// committed, so the kernel (which awaits `attemptFinished`) never starts a dependant of an attempt
// before the attempt's checkpoint is durable. A statement that fails fails only what it carried,
// after each of its items was tried once more on its own: a bad item (or a run deleted meanwhile)
// then fails alone, and an unreachable database fails them all, each run's execution throwing as
// it would have with one statement per checkpoint.
import type { CheckpointInput, Store } from "@weft/store";
import { LeaseLostError } from "./errors.ts";

/** Options of {@link CheckpointWriter}. */
export interface CheckpointWriterOptions {
  store: Pick<Store, "runs">;
  /** Most checkpoints one statement carries (default 256); more wait for the next flush. */
  maxBatch?: number;
  /** Statements in flight at once (default 1: batches grow with load instead of connections). */
  maxInFlight?: number;
  /** Called with each flush's size, for metrics. */
  onFlush?: (size: number) => void;
}

interface PendingCheckpoint {
  runId: string;
  input: CheckpointInput;
  /** The run's lease: an item whose lease was lost while it waited is refused, not written. */
  fence: AbortSignal | undefined;
  workerId: string;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Coalesces the checkpoints of concurrently executing runs into one transaction per flush. */
export class CheckpointWriter {
  readonly #runs: Pick<Store, "runs">["runs"];
  readonly #maxBatch: number;
  readonly #maxInFlight: number;
  readonly #onFlush: ((size: number) => void) | undefined;
  #queue: PendingCheckpoint[] = [];
  /** Runs with a checkpoint in a statement in flight: their next one waits, to keep their order. */
  readonly #busy = new Set<string>();
  #inFlight = 0;
  #scheduled = false;

  constructor(options: CheckpointWriterOptions) {
    this.#runs = options.store.runs;
    this.#maxBatch = Math.max(1, options.maxBatch ?? 256);
    this.#maxInFlight = Math.max(1, options.maxInFlight ?? 1);
    this.#onFlush = options.onFlush;
  }

  /**
   * Resolves once the checkpoint committed; rejects with the store's error when it was refused or
   * the statement failed, or with LeaseLostError when `fence` aborted before it was written.
   */
  write(runId: string, input: CheckpointInput, fence?: { signal: AbortSignal; workerId?: string }): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({
        runId,
        input,
        fence: fence?.signal,
        workerId: fence?.workerId ?? "",
        resolve,
        reject,
      });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled || this.#inFlight >= this.#maxInFlight) return;
    this.#scheduled = true;
    // Checkpoints of runs resumed by the same database reply arrive in the same turn: collect them.
    setImmediate(() => {
      this.#scheduled = false;
      this.#flush();
    });
  }

  #flush(): void {
    while (this.#inFlight < this.#maxInFlight && this.#queue.length > 0) {
      const batch: PendingCheckpoint[] = [];
      const rest: PendingCheckpoint[] = [];
      const inBatch = new Set<string>();
      for (const item of this.#queue) {
        if (batch.length >= this.#maxBatch || this.#busy.has(item.runId) || inBatch.has(item.runId)) {
          rest.push(item);
          continue;
        }
        if (item.fence?.aborted) {
          item.reject(new LeaseLostError(item.runId, item.workerId));
          continue;
        }
        inBatch.add(item.runId);
        batch.push(item);
      }
      this.#queue = rest;
      if (batch.length === 0) break;
      this.#inFlight++;
      for (const id of inBatch) this.#busy.add(id);
      this.#onFlush?.(batch.length);
      this.#commit(batch).finally(() => {
        this.#inFlight--;
        for (const id of inBatch) this.#busy.delete(id);
        if (this.#queue.length > 0) this.#flush();
      });
    }
  }

  async #commit(batch: PendingCheckpoint[]): Promise<void> {
    let failures: unknown[];
    try {
      failures = await this.#runs.checkpointMany(batch.map((item) => ({ runId: item.runId, input: item.input })));
    } catch (error) {
      if (batch.length === 1) {
        batch[0]?.reject(error);
        return;
      }
      // Nothing of the batch was written: try each on its own so only what is at fault fails.
      await Promise.all(
        batch.map((item) => this.#runs.checkpoint(item.runId, item.input).then(item.resolve, item.reject)),
      );
      return;
    }
    batch.forEach((item, i) => {
      const failure = failures[i];
      if (failure) item.reject(failure);
      else item.resolve();
    });
  }
}

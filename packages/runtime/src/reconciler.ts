// RunReconciler: brings back runs that no job will ever touch again. With the bullmq transport a run
// row and its job live in two stores; when the enqueue fails after the row was written (Redis down
// for a moment), when a resume job is lost after an approval was decided, or when a job is deleted
// from Redis, nothing else would move the run. Every worker runs a reconciler on a timer; there is
// no leader: every job it adds has a deterministic id (BullMQ keeps one job per id), and the executor
// holds the run's lease while it executes, so reconcilers racing each other or a live job cost a
// redundant job at worst, never a second execution of a node.
import type { ApprovalRecord, RunSummary, Store } from "@weft/store";
import type { LeaseProvider } from "./lease.ts";
import { jobId, type RunJob } from "./queue.ts";

/** What one pass re-queued, by the run's status. */
export interface ReconcileReport {
  queued: number;
  running: number;
  waiting: number;
}

export interface RunReconcilerOptions {
  store: Store;
  leases: Pick<LeaseProvider, "isHeld">;
  /** Adds `job` under `key` unless a live job has that id; true when it added one. */
  enqueueOnce: (job: RunJob, key: string) => Promise<boolean>;
  /** A run is only considered stranded when it has not changed for this long. */
  afterMs: number;
}

const PAGE = 500;

/** Finds stranded runs and queues the job that continues each. */
export class RunReconciler {
  readonly #options: RunReconcilerOptions;

  constructor(options: RunReconcilerOptions) {
    this.#options = options;
  }

  /** One pass over queued, running and waiting runs older than `afterMs`. */
  async reconcile(now: number = Date.now()): Promise<ReconcileReport> {
    const report: ReconcileReport = { queued: 0, running: 0, waiting: 0 };
    const cutoff = now - this.#options.afterMs;
    for await (const run of this.#runs(["queued", "running", "waiting"], cutoff)) {
      if (Date.parse(run.updatedAt) > cutoff) continue;
      if (run.status === "queued") {
        // The start job's own id: a start job still in the queue makes this a no-op.
        if (await this.#options.enqueueOnce({ runId: run.id, kind: "start" }, jobId("start", run.id))) report.queued++;
      } else if (run.status === "running") {
        // A live execution renews the lease; a crashed worker's job is re-delivered by BullMQ's
        // stalled check (and its lease expires). No lease: no process has the run, so it needs a job.
        if (await this.#options.leases.isHeld(run.id)) continue;
        if (await this.#continue(run.id)) report.running++;
      } else if ((await this.#dueWait(run.id, now)) && (await this.#continue(run.id))) report.waiting++;
    }
    return report;
  }

  #continue(runId: string): Promise<boolean> {
    return this.#options.enqueueOnce({ runId, kind: "continue" }, jobId("reconcile", runId));
  }

  /** Whether a waiting run has something to continue with: a due delay or a decided approval. */
  async #dueWait(runId: string, now: number): Promise<boolean> {
    const record = await this.#options.store.runs.get(runId);
    if (record?.status !== "waiting" || !record.state) return false;
    let approvals: ApprovalRecord[] | undefined;
    for (const [nodeId, node] of Object.entries(record.state.nodes)) {
      if (node.status !== "waiting" || !node.wait) continue;
      if (node.wait.kind === "delay") {
        const due = node.wait.until ? Date.parse(node.wait.until) : now;
        if (!(due > now - this.#options.afterMs)) return true;
      } else if (node.wait.kind === "approval") {
        approvals ??= await this.#options.store.approvals.listForRun(runId);
        const approval = approvals.find((a) => a.nodeId === nodeId);
        if (approval && ["approved", "rejected", "expired"].includes(approval.status)) return true;
      }
    }
    return false;
  }

  async *#runs(statuses: ("queued" | "running" | "waiting")[], cutoff: number): AsyncGenerator<RunSummary> {
    // Newest first: created before the cutoff bounds the list (a run changed since is skipped above).
    for (let offset = 0; ; offset += PAGE) {
      const page = await this.#options.store.runs.list({
        status: statuses,
        until: new Date(cutoff),
        limit: PAGE,
        offset,
      });
      yield* page.items;
      if (page.items.length < PAGE) return;
    }
  }
}

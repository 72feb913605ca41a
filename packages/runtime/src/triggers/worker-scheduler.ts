// A TriggerScheduler beside a BullMQ worker (apps/worker, `weft worker`). startWorker keeps its store
// to itself, so the scheduler opens a small pool of its own on the same DATABASE_URL. A worker on an
// embedded PostgreSQL has no URL to share; it does not fire schedules (the API process on that
// database does).
import { openStore, type Store } from "@weft/store";
import type { Logger } from "pino";
import type { Runtime } from "../runtime.ts";
import { TriggerScheduler } from "./trigger-scheduler.ts";

/** A scheduler started by {@link startWorkerScheduler}. */
export interface WorkerScheduler {
  readonly scheduler: TriggerScheduler;
  /** Stops polling (waiting for a poll in progress) and closes the scheduler's pool. */
  stop(): Promise<void>;
}

/**
 * Starts firing schedule triggers (and expiring overdue approvals) through `worker.runtime`. Stop it before the worker, so no run is
 * started on a runtime that is stopping. Returns undefined, after logging why, without a database URL.
 */
export async function startWorkerScheduler(
  worker: { runtime: Pick<Runtime, "startRun" | "resumeRun"> },
  options: {
    databaseUrl?: string;
    intervalMs?: number;
    logger?: Pick<Logger, "info" | "warn" | "error" | "debug">;
  } = {},
): Promise<WorkerScheduler | undefined> {
  const databaseUrl = options.databaseUrl ?? process.env.DATABASE_URL;
  if (!databaseUrl) {
    options.logger?.info("schedule triggers are fired by the API process: this worker has no DATABASE_URL");
    return undefined;
  }
  const store: Store = await openStore({ databaseUrl, migrate: false, poolSize: 2 });
  const scheduler = new TriggerScheduler({
    store,
    runtime: worker.runtime,
    ...(options.intervalMs !== undefined ? { intervalMs: options.intervalMs } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  scheduler.start();
  return {
    scheduler,
    async stop() {
      await scheduler.stop();
      await store.close();
    },
  };
}

// The worker process: `node --no-node-snapshot apps/worker/src/main.ts`. Configuration comes from the
// environment (docs/operations.md). It executes runs from the queue and fires schedule triggers.
// SIGTERM/SIGINT drain in-flight runs, then the process exits.
import { startWorkerScheduler, type WorkerScheduler } from "@weft/runtime";
import { pino } from "pino";
import { startWorker } from "./index.ts";

const fail = (error: unknown): never => {
  process.stderr.write(`weft worker: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
};

const worker = await startWorker().catch(fail);
const logger = pino({ level: process.env.WEFT_LOG_LEVEL ?? "info", base: { workerId: worker.workerId } });
const schedules: WorkerScheduler | undefined = await startWorkerScheduler(worker, {
  logger: logger.child({ component: "scheduler" }),
}).catch(async (error: unknown) => {
  await worker.stop().catch(() => {});
  return fail(error);
});

let signals = 0;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    signals++;
    // A second signal means "now": in-flight jobs are re-delivered to other workers after their lock expires.
    if (signals > 1) process.exit(1);
    (async () => {
      await schedules?.stop();
      await worker.stop();
    })().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`weft worker: stop failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  });
}

// `weft worker`: a BullMQ worker process (the same as apps/worker), which also fires schedule triggers.
import { startWorker, startWorkerScheduler } from "@weft/runtime";
import { pino } from "pino";
import { CLI_DIR } from "../environment.ts";
import { onShutdown } from "../shutdown.ts";

export async function workerCommand(options: { concurrency?: string; port?: string }): Promise<void> {
  const worker = await startWorker({
    pluginsFrom: CLI_DIR,
    ...(options.concurrency ? { concurrency: Number(options.concurrency) } : {}),
    ...(options.port ? { port: Number(options.port) } : {}),
  });
  const logger = pino({ level: process.env.WEFT_LOG_LEVEL ?? "info", base: { workerId: worker.workerId } });
  const schedules = await startWorkerScheduler(worker, { logger: logger.child({ component: "scheduler" }) }).catch(
    async (error: unknown) => {
      await worker.stop();
      throw error;
    },
  );
  process.stdout.write(`weft worker ${worker.workerId}: health and metrics on http://127.0.0.1:${worker.port}\n`);
  onShutdown(async () => {
    await schedules?.stop();
    await worker.stop();
  });
}

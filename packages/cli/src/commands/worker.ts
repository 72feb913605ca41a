// `weft worker`: a BullMQ worker process (the same as apps/worker).
import { startWorker } from "@weft/runtime";
import { onShutdown } from "../shutdown.ts";

export async function workerCommand(options: { concurrency?: string; port?: string }): Promise<void> {
  const worker = await startWorker({
    ...(options.concurrency ? { concurrency: Number(options.concurrency) } : {}),
    ...(options.port ? { port: Number(options.port) } : {}),
  });
  process.stdout.write(`weft worker ${worker.workerId}: health and metrics on http://127.0.0.1:${worker.port}\n`);
  onShutdown(() => worker.stop());
}

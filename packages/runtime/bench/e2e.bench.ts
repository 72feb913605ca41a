// End to end: runs/s of a 5-node no-op workflow (trigger + 4 control.noop, every step checkpointed to
// PostgreSQL) on the inline transport and on the bullmq transport with 1 and 2 worker processes,
// each against raw BullMQ no-op job throughput measured in the same run on the same Redis.
import { openStore, type Store } from "@weft/store";
import { Queue, Worker } from "bullmq";
import type { BenchEntry, BenchFigure } from "../../../bench/harness.ts";
import { startRedisServer, startTestPostgres } from "../../../test/services.ts";
import { chain, publish, spawnWorker, TEST_ENCRYPTION_KEY, type WorkerProcess } from "../src/__fixtures__/harness.ts";
import { createRuntime, loadPlugins, type Runtime } from "../src/index.ts";

const RUNS = 300;
const RAW_JOBS = 3000;
const CONCURRENCY = 10;

const definition = chain([
  { id: "n1", type: "control.noop" },
  { id: "n2", type: "control.noop" },
  { id: "n3", type: "control.noop" },
  { id: "n4", type: "control.noop" },
]);

async function rawJobsPerSecond(redisUrl: string): Promise<number> {
  const prefix = `raw-${Date.now()}`;
  const queue = new Queue("raw", { connection: { url: redisUrl }, prefix });
  let done = 0;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const worker = new Worker(
    "raw",
    async () => {
      if (++done === RAW_JOBS) finish();
      return null;
    },
    { connection: { url: redisUrl, maxRetriesPerRequest: null }, prefix, concurrency: CONCURRENCY },
  );
  await worker.waitUntilReady();
  const start = performance.now();
  for (let i = 0; i < RAW_JOBS; i += 500)
    await queue.addBulk(
      Array.from({ length: Math.min(500, RAW_JOBS - i) }, (_, j) => ({
        name: "noop",
        data: { i: i + j },
        opts: { removeOnComplete: true },
      })),
    );
  await finished;
  const seconds = (performance.now() - start) / 1000;
  await worker.close();
  await queue.obliterate({ force: true }).catch(() => {});
  await queue.close();
  return RAW_JOBS / seconds;
}

async function runsPerSecond(store: Store, runtime: Runtime, workflowId: string): Promise<number> {
  const start = performance.now();
  const ids: string[] = [];
  for (let i = 0; i < RUNS; i += 50)
    ids.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(50, RUNS - i) }, async () => (await runtime.startRun({ workflowId })).runId),
      )),
    );
  for (;;) {
    const { total } = await store.runs.list({ workflowId, status: ["succeeded", "failed", "cancelled"], limit: 1 });
    if (total >= RUNS) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const seconds = (performance.now() - start) / 1000;
  const failed = await store.runs.list({ workflowId, status: ["failed", "cancelled"], limit: 1 });
  if (failed.total > 0) throw new Error(`${failed.total} bench runs did not succeed`);
  return ids.length / seconds;
}

const entry: BenchEntry = {
  name: "runtime-e2e",
  async run() {
    const [pg, redis] = await Promise.all([startTestPostgres(), startRedisServer()]);
    const figures: BenchFigure[] = [];
    const workers: WorkerProcess[] = [];
    let store: Store | undefined;
    try {
      const databaseUrl = await pg.createDatabase("bench_e2e");
      store = await openStore({ databaseUrl, encryptionKey: TEST_ENCRYPTION_KEY });
      const catalog = await loadPlugins({ plugins: ["@weft/plugin-core"] });
      const raw = await rawJobsPerSecond(redis.url);
      const baseline = `raw BullMQ no-op jobs/s (concurrency ${CONCURRENCY}, same Redis)`;
      const figure = (name: string, value: number): BenchFigure => ({
        name,
        value,
        unit: "runs/s",
        baseline,
        baselineValue: raw,
      });

      const inline = await createRuntime({ store, catalog, transport: "inline", concurrency: CONCURRENCY });
      await inline.start();
      const inlineWorkflow = await publish(store, definition);
      await runsPerSecond(store, inline, await publish(store, definition)); // warm-up
      figures.push(figure("5-node run, inline transport", await runsPerSecond(store, inline, inlineWorkflow)));
      await inline.stop();

      const prefix = `bench-${Date.now()}`;
      const api = await createRuntime({ store, catalog, transport: "bullmq", redisUrl: redis.url, queue: { prefix } });
      await api.start();
      for (const count of [1, 2]) {
        while (workers.length < count)
          workers.push(
            await spawnWorker({
              id: `bench-${workers.length + 1}`,
              redisUrl: redis.url,
              databaseUrl,
              prefix,
              probeFile: "/dev/null",
              concurrency: CONCURRENCY,
            }),
          );
        await runsPerSecond(store, api, await publish(store, definition)); // warm-up
        const value = await runsPerSecond(store, api, await publish(store, definition));
        figures.push(figure(`5-node run, bullmq transport, ${count} worker process${count > 1 ? "es" : ""}`, value));
      }
      await api.stop();
    } finally {
      for (const w of workers) w.child.kill("SIGTERM");
      await Promise.all(workers.map((w) => w.exited));
      await store?.close();
      await Promise.all([pg.dispose(), redis.stop()]);
    }
    return figures;
  },
};
export default entry;

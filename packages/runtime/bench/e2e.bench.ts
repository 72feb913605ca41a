// End to end: runs/s of a 5-node no-op workflow (trigger + 4 control.noop, every step checkpointed to
// PostgreSQL) on the inline transport and on the bullmq transport with 1 and 2 worker processes,
// each against raw BullMQ no-op job throughput measured just before it, on the same Redis, with the
// same worker concurrency.
//
// Fairness: the timed window covers starting every run (row + job) until the last one is durably
// finished, watched with one cheap count query every 25 ms. Only then, outside the window, the
// figure is checked: every run `succeeded` with its 5 step rows persisted, or the bench fails.
// Figures at concurrency 10 use the default (`WEFT_WORKER_CONCURRENCY`); figures named "tuned" set
// the concurrency a deployment tuned for short runs would, and their baseline uses the same.
import { openStore, type Store } from "@weft/store";
import { Queue, Worker } from "bullmq";
import pg from "pg";
import type { BenchEntry, BenchFigure } from "../../../bench/harness.ts";
import { startRedisServer, startTestPostgres } from "../../../test/services.ts";
import { chain, publish, spawnWorker, TEST_ENCRYPTION_KEY, type WorkerProcess } from "../src/__fixtures__/harness.ts";
import { createRuntime, loadPlugins, type Runtime } from "../src/index.ts";

const RUNS = Number(process.env.WEFT_BENCH_RUNS ?? 3000);
const RAW_JOBS = Number(process.env.WEFT_BENCH_RAW_JOBS ?? 20_000);
const DEFAULT_CONCURRENCY = 10;
const TUNED_CONCURRENCY = 50;
const NODES = 5;

const definition = chain([
  { id: "n1", type: "control.noop" },
  { id: "n2", type: "control.noop" },
  { id: "n3", type: "control.noop" },
  { id: "n4", type: "control.noop" },
]);

async function rawJobsPerSecond(redisUrl: string, concurrency: number): Promise<number> {
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
    { connection: { url: redisUrl, maxRetriesPerRequest: null }, prefix, concurrency },
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

/** Starts RUNS runs of a fresh workflow and returns runs/s once all are finished and verified. */
async function runsPerSecond(store: Store, db: pg.Client, runtime: Runtime, runs = RUNS): Promise<number> {
  const workflowId = await publish(store, definition);
  const finishedCount = async () =>
    Number(
      (
        await db.query<{ n: string }>(
          `select count(*) as n from runs where workflow_id = $1 and status in ('succeeded', 'failed', 'cancelled')`,
          [workflowId],
        )
      ).rows[0]?.n,
    );
  const start = performance.now();
  for (let i = 0; i < runs; i += 100)
    await Promise.all(Array.from({ length: Math.min(100, runs - i) }, () => runtime.startRun({ workflowId })));
  while ((await finishedCount()) < runs) await new Promise((resolve) => setTimeout(resolve, 25));
  const seconds = (performance.now() - start) / 1000;
  // Outside the timed window: count only what a user would call done.
  const succeeded = await db.query<{ runs: string; steps: string }>(
    `select count(distinct r.id) as runs, count(s.id) as steps from runs r
       left join steps s on s.run_id = r.id and s.status = 'succeeded'
      where r.workflow_id = $1 and r.status = 'succeeded'`,
    [workflowId],
  );
  const row = succeeded.rows[0];
  if (Number(row?.runs) !== runs || Number(row?.steps) !== runs * NODES)
    throw new Error(`expected ${runs} succeeded runs with ${runs * NODES} steps, found ${row?.runs} / ${row?.steps}`);
  return runs / seconds;
}

const entry: BenchEntry = {
  name: "runtime-e2e",
  async run() {
    const [pgServer, redis] = await Promise.all([startTestPostgres(), startRedisServer()]);
    const figures: BenchFigure[] = [];
    const workers: WorkerProcess[] = [];
    let store: Store | undefined;
    let db: pg.Client | undefined;
    const stopWorkers = async () => {
      for (const w of workers) w.child.kill("SIGTERM");
      await Promise.all(workers.map((w) => w.exited));
      workers.length = 0;
    };
    try {
      const databaseUrl = await pgServer.createDatabase("bench_e2e");
      store = await openStore({ databaseUrl, encryptionKey: TEST_ENCRYPTION_KEY });
      db = new pg.Client({ connectionString: databaseUrl });
      await db.connect();
      const catalog = await loadPlugins({ plugins: ["@weft/plugin-core"] });
      const figure = async (name: string, concurrency: number, measure: () => Promise<number>) => {
        const raw = await rawJobsPerSecond(redis.url, concurrency);
        const value = await measure();
        figures.push({
          name,
          value,
          unit: "runs/s",
          baseline: `raw BullMQ no-op jobs/s (concurrency ${concurrency}, same Redis, measured just before)`,
          baselineValue: raw,
        });
      };

      for (const [concurrency, label] of [
        [DEFAULT_CONCURRENCY, ""],
        [TUNED_CONCURRENCY, `, tuned: concurrency ${TUNED_CONCURRENCY}`],
      ] as const) {
        const inline = await createRuntime({ store, catalog, transport: "inline", concurrency });
        await inline.start();
        await runsPerSecond(store, db, inline, 300); // warm-up
        await figure(`5-node run, inline transport${label}`, concurrency, () =>
          runsPerSecond(store as Store, db as pg.Client, inline),
        );
        await inline.stop();

        const prefix = `bench-${concurrency}-${Date.now()}`;
        const api = await createRuntime({
          store,
          catalog,
          transport: "bullmq",
          redisUrl: redis.url,
          queue: { prefix },
        });
        await api.start();
        for (const count of [1, 2]) {
          while (workers.length < count)
            workers.push(
              await spawnWorker({
                id: `bench-${concurrency}-${workers.length + 1}`,
                redisUrl: redis.url,
                databaseUrl,
                prefix,
                probeFile: "/dev/null",
                concurrency,
              }),
            );
          await runsPerSecond(store, db, api, 300); // warm-up
          await figure(
            `5-node run, bullmq transport, ${count} worker process${count > 1 ? "es" : ""}${label}`,
            concurrency,
            () => runsPerSecond(store as Store, db as pg.Client, api),
          );
        }
        await api.stop();
        await stopWorkers();
      }
    } finally {
      await stopWorkers();
      await db?.end();
      await store?.close();
      await Promise.all([pgServer.dispose(), redis.stop()]);
    }
    return figures;
  },
};
export default entry;

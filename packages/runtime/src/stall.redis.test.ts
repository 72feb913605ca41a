// A node that keeps the CPU busy inside the sandbox for longer than several job lock durations must
// not be re-delivered: isolated-vm runs the script off the event loop, so the worker keeps renewing
// its BullMQ lock and its run lease, and the node executes exactly once.
import { SandboxPool } from "@weft/sandbox";
import { openStore, type Store } from "@weft/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, testRedisUrl } from "../../../test/pg.ts";
import { chain, publish, TEST_ENCRYPTION_KEY } from "./__fixtures__/harness.ts";
import { loadPlugins, type PluginCatalog } from "./loader/index.ts";
import { createRuntime, type Runtime } from "./runtime.ts";

const prefix = `weft-stall-${process.pid}-${Date.now()}`;
// WEFT_LOCK_DURATION_MS=1000, WEFT_STALLED_INTERVAL_MS=500: a silent worker loses its job within ~1.5 s.
const queue = { prefix, lockDurationMs: 1_000, stalledIntervalMs: 500, maxStalledCount: 5 };
const pool = new SandboxPool({ size: 2 });
let store: Store;
let catalog: PluginCatalog;
let api: Runtime;
const workers: Runtime[] = [];

beforeAll(async () => {
  store = await openStore({ databaseUrl: await createTestDatabase("rt_stall"), encryptionKey: TEST_ENCRYPTION_KEY });
  catalog = await loadPlugins({ plugins: ["@weft/plugin-core", "@weft/plugin-script"] });
  api = await createRuntime({ store, catalog, redisUrl: testRedisUrl(), workerId: "api", queue });
  await api.start();
  // Two workers share one pool, so the pool's run count is the number of times the script ran anywhere.
  for (const id of ["s1", "s2"]) {
    const worker = await createRuntime({
      store,
      catalog,
      redisUrl: testRedisUrl(),
      workerId: id,
      startWorkers: true,
      concurrency: 2,
      sandbox: pool,
      queue,
    });
    await worker.start();
    workers.push(worker);
  }
});
afterAll(async () => {
  for (const runtime of [api, ...workers]) await runtime?.stop({ graceMs: 2000 });
  pool.dispose();
  await store?.close();
});

describe("a CPU-bound script node under a short job lock", () => {
  it("is not re-delivered while it runs: it executes exactly once", async () => {
    const code = "const end = Date.now() + 3000; let n = 0; while (Date.now() < end) n++; return n > 0;";
    const workflowId = await publish(store, chain([{ id: "spin", type: "script.run", config: { code } }]));
    const before = pool.stats().runs;
    const { runId } = await api.startRun({ workflowId });
    const done = await api.waitForRun(runId, { terminal: true, timeoutMs: 30_000 });
    expect(done.status).toBe("succeeded");
    expect(done.state?.nodes.spin?.output).toBe(true);
    expect(pool.stats().runs - before).toBe(1);
    const steps = (await store.runs.listSteps(runId)).filter((step) => step.nodeId === "spin");
    expect(steps.map((step) => step.attempt)).toEqual([1]);
  });
});

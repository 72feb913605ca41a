// Stranded runs with the bullmq transport: a run whose job vanished from Redis, and a run whose
// approval was decided without a resume job, are brought to completion by the workers' reconciler,
// each node executing once.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { openStore, type Store } from "@weft/store";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, testRedisUrl } from "../../../test/pg.ts";
import { chain, eventually, probeLines, publish, TEST_ENCRYPTION_KEY } from "./__fixtures__/harness.ts";
import probePlugin from "./__fixtures__/probe-plugin.ts";
import { loadPlugins, type PluginCatalog } from "./loader/index.ts";
import { jobId, RUN_QUEUE_NAME } from "./queue.ts";
import { createRuntime, type Runtime } from "./runtime.ts";

const prefix = `weft-rec-${process.pid}-${Date.now()}`;
const queueSettings = { prefix, lockDurationMs: 5_000, stalledIntervalMs: 2_000 };
const probeDir = mkdtempSync(path.join(tmpdir(), "weft-rec-probe-"));
const probeFile = path.join(probeDir, "executions.log");
let store: Store;
let catalog: PluginCatalog;
let api: Runtime;
let queue: Queue;
const runtimes: Runtime[] = [];

async function worker(): Promise<Runtime> {
  const runtime = await createRuntime({
    store,
    catalog,
    redisUrl: testRedisUrl(),
    workerId: `rec-${runtimes.length}`,
    startWorkers: true,
    queue: { ...queueSettings, reconcileIntervalMs: 200, reconcileAfterMs: 0 },
  });
  runtimes.push(runtime);
  await runtime.start();
  return runtime;
}

const executions = (runId: string, nodeId: string) =>
  probeLines(probeFile).filter((line) => line.key === `${runId}:${nodeId}`).length;

beforeAll(async () => {
  process.env.WEFT_PROBE_FILE = probeFile;
  store = await openStore({
    databaseUrl: await createTestDatabase("rt_reconcile"),
    encryptionKey: TEST_ENCRYPTION_KEY,
  });
  catalog = await loadPlugins({ plugins: ["@weft/plugin-core", probePlugin] });
  api = await createRuntime({ store, catalog, redisUrl: testRedisUrl(), workerId: "api", queue: queueSettings });
  await api.start();
  runtimes.push(api);
  queue = new Queue(RUN_QUEUE_NAME, { connection: { url: testRedisUrl() }, prefix });
});
afterAll(async () => {
  for (const runtime of runtimes) await runtime.stop({ graceMs: 2000 });
  await queue?.close();
  await store?.close();
  delete process.env.WEFT_PROBE_FILE;
  rmSync(probeDir, { recursive: true, force: true });
});

describe("the stranded-run reconciler", () => {
  it("re-queues a queued run whose job was deleted from Redis, and it completes once", async () => {
    const workflowId = await publish(store, chain([{ id: "a", type: "probe.record" }]));
    const { runId } = await api.startRun({ workflowId });
    // The enqueue "failed": no job carries the run any more.
    await queue.remove(jobId("start", runId));
    expect(await queue.getJob(jobId("start", runId))).toBeUndefined();
    expect((await store.runs.get(runId))?.status).toBe("queued");

    await worker();
    const done = await api.waitForRun(runId, { terminal: true, timeoutMs: 20_000 });
    expect(done.status).toBe("succeeded");
    expect(executions(runId, "a")).toBe(1);
    // Later passes find nothing to do and execute nothing again.
    expect(await api.reconcile()).toEqual({ queued: 0, running: 0, waiting: 0 });
    expect(executions(runId, "a")).toBe(1);
  });

  it("continues a waiting run whose approval was decided but whose resume job never came", async () => {
    await (runtimes.length > 1 ? Promise.resolve() : worker());
    const definition = chain([
      { id: "approve", type: "approval.request", config: { title: "Isolate host?" } },
      { id: "after", type: "probe.record" },
    ]);
    (definition.edges[1] as { sourceHandle?: string }).sourceHandle = "approved";
    const workflowId = await publish(store, definition);
    const { runId } = await api.startRun({ workflowId });
    expect((await api.waitForRun(runId, { timeoutMs: 20_000 })).status).toBe("waiting");
    const approval = await eventually(async () => (await store.approvals.listForRun(runId))[0]);
    // Decided in the database only: the resume job is "lost".
    await store.approvals.decide(approval.id, { decision: "approved", by: "alice" });

    const done = await api.waitForRun(runId, { terminal: true, timeoutMs: 20_000 });
    expect(done.status).toBe("succeeded");
    expect(done.state?.nodes.approve?.output).toMatchObject({ decision: "approved", by: "alice" });
    expect(executions(runId, "after")).toBe(1);
  });
});

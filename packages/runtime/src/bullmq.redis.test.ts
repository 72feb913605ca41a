// The bullmq transport in one process: an API-side runtime enqueues, worker runtimes execute.
// (Worker processes, crashes and signals are in workers.redis.test.ts.)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { openStore, type Store } from "@weft/store";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, testRedisUrl } from "../../../test/pg.ts";
import { chain, probeLines, publish, TEST_ENCRYPTION_KEY } from "./__fixtures__/harness.ts";
import probePlugin from "./__fixtures__/probe-plugin.ts";
import { loadPlugins, type PluginCatalog } from "./loader/index.ts";
import { RUN_QUEUE_NAME } from "./queue.ts";
import { createRuntime, type Runtime } from "./runtime.ts";

const prefix = `weft-bq-${process.pid}-${Date.now()}`;
const queue = { prefix, lockDurationMs: 5_000, stalledIntervalMs: 2_000 };
let store: Store;
let catalog: PluginCatalog;
let api: Runtime;
const workers: Runtime[] = [];
// probe.record appends one line per execution here (both in-process workers share the file).
const probeDir = mkdtempSync(path.join(tmpdir(), "weft-bq-probe-"));
const probeFile = path.join(probeDir, "executions.log");

beforeAll(async () => {
  process.env.WEFT_PROBE_FILE = probeFile;
  store = await openStore({ databaseUrl: await createTestDatabase("rt_bullmq"), encryptionKey: TEST_ENCRYPTION_KEY });
  catalog = await loadPlugins({ plugins: ["@weft/plugin-core", probePlugin] });
  api = await createRuntime({ store, catalog, transport: "bullmq", redisUrl: testRedisUrl(), workerId: "api", queue });
  await api.start();
  for (const id of ["w1", "w2"]) {
    const worker = await createRuntime({
      store,
      catalog,
      redisUrl: testRedisUrl(),
      workerId: id,
      startWorkers: true,
      concurrency: 10,
      queue,
    });
    await worker.start();
    workers.push(worker);
  }
});
afterAll(async () => {
  for (const runtime of [api, ...workers]) await runtime?.stop({ graceMs: 2000 });
  await store?.close();
  delete process.env.WEFT_PROBE_FILE;
  rmSync(probeDir, { recursive: true, force: true });
});

describe("bullmq transport", () => {
  it("resumes a delay node's run from a delayed job", async () => {
    const workflowId = await publish(
      store,
      chain([
        { id: "wait", type: "control.delay", config: { durationMs: 800 } },
        { id: "after", type: "control.noop" },
      ]),
    );
    const { runId } = await api.startRun({ workflowId });
    expect((await api.waitForRun(runId)).status).toBe("waiting");
    const delayed = new Queue(RUN_QUEUE_NAME, { connection: { url: testRedisUrl() }, prefix });
    const jobs = await delayed.getDelayed();
    await delayed.close();
    expect(jobs.some((job) => job.data.runId === runId && job.data.kind === "delay")).toBe(true);
    const done = await api.waitForRun(runId, { terminal: true, timeoutMs: 20_000 });
    expect(done.status).toBe("succeeded");
    expect(done.state?.nodes.after?.status).toBe("succeeded");
  });

  it("streams a worker's events to the API process through Redis", async () => {
    const workflowId = await publish(store, chain([{ id: "a", type: "control.noop" }]));
    const { runId } = await api.startRun({ workflowId });
    const types: string[] = [];
    api.subscribe(runId, (event) => types.push(event.type));
    await api.waitForRun(runId, { terminal: true });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(types).toContain("run.finished");
  });

  it("completes 200 queued runs on two workers, executing each node exactly once and losing none", async () => {
    const workflowId = await publish(
      store,
      chain([
        { id: "a", type: "probe.record" },
        { id: "b", type: "probe.record" },
      ]),
    );
    const runIds = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => (await api.startRun({ workflowId, input: { i } })).runId),
    );
    const finished = await Promise.all(runIds.map((id) => api.waitForRun(id, { terminal: true, timeoutMs: 25_000 })));
    expect(finished.every((run) => run.status === "succeeded")).toBe(true);
    // Executions, not step rows (a repeated attempt would upsert the same row): the probe appends a
    // line each time a node really runs, keyed `<runId>:<nodeId>`.
    const ours = new Set(runIds);
    const executions = new Map<string, number>();
    for (const line of probeLines(probeFile)) {
      if (!ours.has(line.key.split(":")[0] as string)) continue;
      executions.set(line.key, (executions.get(line.key) ?? 0) + 1);
    }
    const expected = runIds.flatMap((id) => [`${id}:a`, `${id}:b`]).sort();
    expect([...executions.keys()].sort()).toEqual(expected);
    expect([...executions.entries()].filter(([, count]) => count !== 1)).toEqual([]);
    const workersUsed = new Set<string | null>();
    for (const id of runIds.slice(0, 50))
      for (const step of await store.runs.listSteps(id)) workersUsed.add(step.workerId);
    expect([...workersUsed].sort()).toEqual(["w1", "w2"]);
  });

  it("refuses a resume for a node that is not waiting", async () => {
    const workflowId = await publish(store, chain([{ id: "a", type: "control.noop" }]));
    const { runId } = await api.startRun({ workflowId });
    await api.waitForRun(runId, { terminal: true });
    await expect(api.resumeRun(runId, "a", null)).rejects.toMatchObject({ code: "WEFT_E_RUN_NOT_WAITING" });
  });
});

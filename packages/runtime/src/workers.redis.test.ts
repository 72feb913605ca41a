// Worker processes as operators run them: two workers sharing a run, SIGKILL mid-run, SIGTERM drain,
// and the health/readiness/metrics endpoints. Needs PostgreSQL too (the run store).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { openStore, type Store } from "@weft/store";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, testRedisUrl } from "../../../test/pg.ts";
import {
  chain,
  eventually,
  probeLines,
  publish,
  spawnWorker,
  TEST_ENCRYPTION_KEY,
  type WorkerProcess,
} from "./__fixtures__/harness.ts";
import probePlugin from "./__fixtures__/probe-plugin.ts";
import { loadPlugins } from "./loader/index.ts";
import { createRuntime, type Runtime } from "./runtime.ts";

const prefix = `weft-wp-${process.pid}-${Date.now()}`;
const probeFile = path.join(mkdtempSync(path.join(tmpdir(), "weft-probe-")), "executions.log");
let databaseUrl: string;
let store: Store;
let api: Runtime;
const processes: WorkerProcess[] = [];

async function worker(id: string, graceMs?: number): Promise<WorkerProcess> {
  const spawned = await spawnWorker({
    id,
    redisUrl: testRedisUrl(),
    databaseUrl,
    prefix,
    probeFile,
    ...(graceMs !== undefined ? { graceMs } : {}),
  });
  processes.push(spawned);
  return spawned;
}

function linesOf(runId: string) {
  return probeLines(probeFile).filter((line) => line.key.startsWith(`${runId}:`));
}

beforeAll(async () => {
  databaseUrl = await createTestDatabase("rt_workers");
  // Migrate once before the workers open the same database.
  store = await openStore({ databaseUrl, encryptionKey: TEST_ENCRYPTION_KEY });
  const catalog = await loadPlugins({ plugins: ["@weft/plugin-core", probePlugin] });
  api = await createRuntime({
    store,
    catalog,
    transport: "bullmq",
    redisUrl: testRedisUrl(),
    workerId: "api",
    queue: { prefix },
  });
  await api.start();
});

// Each test starts the workers it needs: stop every worker still running (gracefully) after it.
afterEach(async () => {
  const alive = processes.filter((p) => p.child.exitCode === null && p.child.signalCode === null);
  for (const p of alive) p.child.kill("SIGTERM");
  await Promise.all(alive.map((p) => p.exited));
});

afterAll(async () => {
  for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
  await Promise.all(processes.map((p) => p.exited));
  await api?.stop({ graceMs: 1000 });
  await store?.close();
});

describe("worker processes", () => {
  it("serve /healthz, /readyz and Prometheus metrics on their port", async () => {
    const w = await worker("health-1");
    const health = await fetch(`http://127.0.0.1:${w.port}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok", workerId: "health-1" });
    const ready = await fetch(`http://127.0.0.1:${w.port}/readyz`);
    expect(ready.status).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${w.port}/metrics`)).text();
    expect(metrics).toContain("weft_runs_in_flight");
    expect(metrics).toContain("weft_queue_depth");
    w.child.kill("SIGTERM");
    expect(await w.exited).toBe(0);
  }, 60_000);

  it("continue a run in a second process: one suspends it, the other finishes it after the delay", async () => {
    const first = await worker("share-1");
    const workflowId = await publish(
      store,
      chain([
        { id: "a", type: "probe.record" },
        { id: "wait", type: "probe.wait", config: { delayMs: 1500 } },
        { id: "b", type: "probe.record" },
      ]),
    );
    const { runId } = await api.startRun({ workflowId });
    expect((await api.waitForRun(runId, { timeoutMs: 20_000 })).status).toBe("waiting");
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    await worker("share-2");
    const done = await api.waitForRun(runId, { terminal: true, timeoutMs: 20_000 });
    expect(done.status).toBe("succeeded");
    const byNode = Object.fromEntries((await store.runs.listSteps(runId)).map((s) => [s.nodeId, s.workerId]));
    expect(byNode.a).toBe("share-1");
    expect(byNode.b).toBe("share-2");
    expect(linesOf(runId).map((l) => `${l.key.split(":")[1]}@${l.worker}`)).toEqual(["a@share-1", "b@share-2"]);
  }, 60_000);

  it("survive SIGKILL mid-run: another worker finishes the run and no finished node runs twice", async () => {
    const workers = [await worker("kill-1"), await worker("kill-2")];
    const workflowId = await publish(
      store,
      chain([
        { id: "a", type: "probe.record" },
        { id: "slow", type: "probe.record", config: { sleepMs: 2500 } },
        { id: "c", type: "probe.record" },
      ]),
    );
    const { runId } = await api.startRun({ workflowId });
    // Once `a` ran, the same worker is inside `slow`: kill it there.
    const first = await eventually(() => linesOf(runId).find((l) => l.key.endsWith(":a")));
    await eventually(async () =>
      (await store.runs.get(runId))?.state?.nodes.a?.status === "succeeded" ? true : undefined,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const victim = workers.find((w) => w.id === first.worker) as WorkerProcess;
    const survivor = workers.find((w) => w !== victim) as WorkerProcess;
    victim.child.kill("SIGKILL");
    expect(await victim.exited).toBe("SIGKILL");

    const done = await api.waitForRun(runId, { terminal: true, timeoutMs: 40_000 });
    expect(done.status).toBe("succeeded");
    const lines = linesOf(runId);
    expect(lines.map((l) => l.key.split(":")[1]).sort()).toEqual(["a", "c", "slow"]);
    expect(lines.find((l) => l.key.endsWith(":slow"))?.worker).toBe(survivor.id);
    const steps = await store.runs.listSteps(runId);
    for (const nodeId of ["trigger", "a", "slow", "c"])
      expect(steps.filter((s) => s.nodeId === nodeId && s.status === "succeeded")).toHaveLength(1);
    expect(steps.find((s) => s.nodeId === "a")?.workerId).toBe(victim.id);
  }, 90_000);

  it("drain on SIGTERM: the node in flight finishes, the run completes, the process exits 0", async () => {
    const w = await worker("drain-1");
    const workflowId = await publish(
      store,
      chain([
        { id: "slow", type: "probe.record", config: { sleepMs: 1500 } },
        { id: "b", type: "probe.record" },
      ]),
    );
    const { runId } = await api.startRun({ workflowId });
    const started = new Promise<void>((resolve) =>
      api.subscribe(runId, (event) => {
        if (event.type === "node.started" && event.nodeId === "slow") resolve();
      }),
    );
    await started;
    w.child.kill("SIGTERM");
    expect(await w.exited).toBe(0);
    const run = await store.runs.get(runId);
    expect(run?.status).toBe("succeeded");
    expect(linesOf(runId).map((l) => l.worker)).toEqual(["drain-1", "drain-1"]);
  }, 60_000);

  it("abandon the node in flight when the grace period runs out: another worker retries it, the process exits 0", async () => {
    const impatient = await worker("handoff-1", 300);
    const workflowId = await publish(
      store,
      chain([
        { id: "slow", type: "probe.record", config: { sleepMs: 2000 } },
        { id: "b", type: "probe.record" },
      ]),
    );
    const { runId } = await api.startRun({ workflowId });
    await new Promise<void>((resolve) =>
      api.subscribe(runId, (event) => {
        if (event.type === "node.started" && event.nodeId === "slow") resolve();
      }),
    );
    impatient.child.kill("SIGTERM");
    expect(await impatient.exited).toBe(0);
    await worker("handoff-2");
    const done = await api.waitForRun(runId, { terminal: true, timeoutMs: 30_000 });
    expect(done.status).toBe("succeeded");
    // The abandoned attempt never finished; the retry (same idempotency key) ran on the other worker.
    expect(linesOf(runId).map((l) => `${l.key.split(":")[1]}@${l.worker}`)).toEqual(["slow@handoff-2", "b@handoff-2"]);
  }, 60_000);
});

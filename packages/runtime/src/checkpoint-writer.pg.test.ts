// Group commit: checkpoints of concurrently executing runs share statements without giving up
// per-run durability, ordering, isolation of failures or lease fencing.
import type { RunState } from "@weft/kernel";
import { openStore, type Store, ValidationError } from "@weft/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/pg.ts";
import { chain, publish, TEST_ENCRYPTION_KEY } from "./__fixtures__/harness.ts";
import { CheckpointWriter } from "./checkpoint-writer.ts";
import { LeaseLostError } from "./errors.ts";
import { loadPlugins } from "./loader/index.ts";
import { createRuntime } from "./runtime.ts";

let store: Store;
let workflowId = "";

function state(runId: string, status: RunState["status"] = "running"): RunState {
  return {
    schemaVersion: 1,
    runId,
    workflowId,
    status,
    startedAt: new Date().toISOString(),
    input: {},
    vars: {},
    nodes: {},
    edges: {},
  };
}

const step = (nodeId: string, output: unknown = { ok: true }) => ({
  nodeId,
  nodeType: "control.noop",
  attempt: 1,
  status: "succeeded" as const,
  output: output as never,
});

beforeAll(async () => {
  store = await openStore({ databaseUrl: await createTestDatabase("rt_group"), encryptionKey: TEST_ENCRYPTION_KEY });
  workflowId = await publish(store, chain([{ id: "a", type: "control.noop" }]));
});
afterAll(async () => {
  await store?.close();
});

describe("CheckpointWriter", () => {
  it("commits the checkpoints of runs executing at once in shared statements, each durable when it resolves", async () => {
    const sizes: number[] = [];
    const writer = new CheckpointWriter({ store, onFlush: (size) => sizes.push(size) });
    const runs = await Promise.all(Array.from({ length: 20 }, () => store.runs.create({ workflowId })));
    await Promise.all(
      runs.map(async (run) => {
        for (const node of ["a", "b", "c"]) {
          await writer.write(run.id, { state: state(run.id), status: "running", step: step(node) });
          // Resolved means committed: a fresh read sees this very checkpoint.
          const steps = await store.runs.listSteps(run.id);
          expect(steps.map((s) => s.nodeId)).toContain(node);
        }
      }),
    );
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(60);
    expect(sizes.length).toBeLessThan(60);
    for (const run of runs) expect(await store.runs.get(run.id)).toMatchObject({ checkpoints: 3 });
  });

  it("fails only the checkpoint PostgreSQL refuses; the others of its batch are written", async () => {
    const writer = new CheckpointWriter({ store });
    const [good, bad] = await Promise.all([store.runs.create({ workflowId }), store.runs.create({ workflowId })]);
    if (!good || !bad) throw new Error("runs not created");
    const results = await Promise.allSettled([
      writer.write(good.id, { state: state(good.id), status: "running", step: step("a") }),
      writer.write(bad.id, { state: state(bad.id), status: "running", step: step("a", { body: "a\u0000b" }) }),
    ]);
    expect(results[0].status).toBe("fulfilled");
    expect(results[1].status === "rejected" && results[1].reason).toBeInstanceOf(ValidationError);
    expect(await store.runs.get(good.id)).toMatchObject({ status: "running", checkpoints: 1 });
    expect(await store.runs.get(bad.id)).toMatchObject({ status: "queued", checkpoints: 0 });
  });

  it("refuses a checkpoint whose run lease was lost while it waited, and writes nothing for it", async () => {
    const writer = new CheckpointWriter({ store });
    const run = await store.runs.create({ workflowId });
    const lease = new AbortController();
    const written = writer.write(
      run.id,
      { state: state(run.id), status: "running", step: step("a") },
      { signal: lease.signal, workerId: "w-gone" },
    );
    lease.abort();
    await expect(written).rejects.toBeInstanceOf(LeaseLostError);
    expect(await store.runs.get(run.id)).toMatchObject({ status: "queued", checkpoints: 0 });
    expect(await store.runs.listSteps(run.id)).toEqual([]);
  });

  it("keeps the order of one run's checkpoints written back to back", async () => {
    const writer = new CheckpointWriter({ store });
    const run = await store.runs.create({ workflowId });
    await Promise.all([
      writer.write(run.id, { state: state(run.id), status: "running", step: step("a") }),
      writer.write(run.id, { state: state(run.id, "succeeded"), status: "succeeded", step: step("b") }),
    ]);
    expect(await store.runs.get(run.id)).toMatchObject({ status: "succeeded", checkpoints: 2 });
  });
});

describe("RunExecutor checkpoints", () => {
  it("commits a run's last step row with its terminal status: one checkpoint per attempt, none extra", async () => {
    // A database of its own: the inline runtime continues every unfinished run it finds on start.
    const own = await openStore({
      databaseUrl: await createTestDatabase("rt_group_exec"),
      encryptionKey: TEST_ENCRYPTION_KEY,
    });
    const catalog = await loadPlugins({ plugins: ["@weft/plugin-core"] });
    const runtime = await createRuntime({ store: own, catalog, transport: "inline", workerId: "group-test" });
    await runtime.start();
    try {
      const id = await publish(
        own,
        chain([
          { id: "a", type: "control.noop" },
          { id: "b", type: "control.noop" },
        ]),
      );
      const runIds = await Promise.all(
        Array.from({ length: 10 }, async () => (await runtime.startRun({ workflowId: id })).runId),
      );
      for (const runId of runIds) {
        const run = await runtime.waitForRun(runId, { terminal: true });
        expect(run).toMatchObject({ status: "succeeded", checkpoints: 3 });
        expect(run.state?.nodes.b?.status).toBe("succeeded");
        const steps = await own.runs.listSteps(runId);
        expect(steps.map((s) => s.nodeId).sort()).toEqual(["a", "b", "trigger"]);
      }
    } finally {
      await runtime.stop({ graceMs: 1000 });
      await own.close();
    }
  });
});

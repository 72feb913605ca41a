// Checkpoint throughput: one run-state update plus one step row in a transaction, with 1 and 8
// concurrent writers, against a raw single-row INSERT loop through the same driver in the same run.
import { randomBytes, randomUUID } from "node:crypto";
import { MikroORM } from "@mikro-orm/postgresql";
import { type BenchEntry, type BenchFigure, opsPerSecond } from "../../../bench/harness.ts";
import { startTestPostgres } from "../../../test/services.ts";
import { openStore, type Store } from "../src/index.ts";
import type { RunState } from "../src/kernel-types.ts";

const MIN_MS = 2000;

function runState(runId: string, workflowId: string, nodes: number): RunState {
  const state: RunState = {
    schemaVersion: 1,
    runId,
    workflowId,
    status: "running",
    startedAt: new Date().toISOString(),
    input: { severity: "high" },
    vars: {},
    nodes: {},
    edges: {},
  };
  for (let i = 0; i < nodes; i++)
    state.nodes[`n${i}`] = { status: "succeeded", attempts: 1, port: "default", output: { index: i, ok: true } };
  return state;
}

/** Runs `writers` loops concurrently for `minMs`; returns total operations per second. */
async function concurrentOps(writers: number, make: (w: number) => () => Promise<unknown>, minMs: number) {
  const fns = Array.from({ length: writers }, (_, w) => make(w));
  await Promise.all(
    fns.map(async (fn) => {
      for (let i = 0; i < 3; i++) await fn();
    }),
  );
  let ops = 0;
  const start = performance.now();
  const deadline = start + minMs;
  await Promise.all(
    fns.map(async (fn) => {
      while (performance.now() < deadline) {
        await fn();
        ops++;
      }
    }),
  );
  return (ops / (performance.now() - start)) * 1000;
}

async function checkpointWriter(store: Store, workflowId: string) {
  const run = await store.runs.create({ workflowId });
  const state = runState(run.id, workflowId, 20);
  let attempt = 0;
  return () => {
    attempt++;
    return store.runs.checkpoint(run.id, {
      state,
      status: "running",
      step: {
        nodeId: "scan",
        nodeType: "tenable.scan",
        attempt,
        status: "succeeded",
        config: { target: "10.0.0.0/24" },
        output: { hosts: 3, findings: [{ id: 1, severity: "high" }] },
        startedAt: new Date(),
        finishedAt: new Date(),
      },
    });
  };
}

/** One checkpointMany call carrying one checkpoint for each of `runs` runs (group commit). */
async function batchWriter(store: Store, workflowId: string, runs: number) {
  const created = await Promise.all(Array.from({ length: runs }, () => store.runs.create({ workflowId })));
  const states = created.map((run) => runState(run.id, workflowId, 20));
  let attempt = 0;
  return async () => {
    attempt++;
    const failures = await store.runs.checkpointMany(
      created.map((run, i) => ({
        runId: run.id,
        input: {
          state: states[i] as RunState,
          status: "running" as const,
          step: {
            nodeId: "scan",
            nodeType: "tenable.scan",
            attempt,
            status: "succeeded" as const,
            config: { target: "10.0.0.0/24" },
            output: { hosts: 3, findings: [{ id: 1, severity: "high" }] },
            startedAt: new Date(),
            finishedAt: new Date(),
          },
        },
      })),
    );
    if (failures.some(Boolean)) throw new Error("a batched checkpoint failed");
  };
}

const entry: BenchEntry = {
  name: "store",
  async run() {
    const pg = await startTestPostgres();
    let store: Store | undefined;
    let raw: MikroORM | undefined;
    try {
      const url = await pg.createDatabase("weft_bench");
      store = await openStore({ databaseUrl: url, encryptionKey: randomBytes(32), poolSize: 10 });
      raw = await MikroORM.init({
        clientUrl: url,
        entities: [],
        discovery: { warnWhenNoEntities: false },
        pool: { min: 0, max: 10 },
      });
      await raw.em.execute("create table bench_raw (id uuid primary key, payload jsonb not null)");
      const workflow = await store.workflows.create({ name: "bench" });
      await store.workflows.publish(workflow.id, { definition: { name: "bench", nodes: [], edges: [] } });
      const s = store;
      const r = raw;
      const insertRaw = () =>
        r.em.fork().execute("insert into bench_raw (id, payload) values (?, ?::jsonb)", [randomUUID(), '{"ok":true}']);

      const one = await opsPerSecond(await checkpointWriter(s, workflow.id), MIN_MS);
      const rawOne = await opsPerSecond(insertRaw, MIN_MS);
      const writers = await Promise.all(Array.from({ length: 8 }, () => checkpointWriter(s, workflow.id)));
      const eight = await concurrentOps(8, (w) => writers[w] as () => Promise<unknown>, MIN_MS);
      const rawEight = await concurrentOps(8, () => insertRaw, MIN_MS);
      const batch = (await opsPerSecond(await batchWriter(s, workflow.id, 25), MIN_MS)) * 25;
      const figures: BenchFigure[] = [
        {
          name: "checkpoint (run state, 20 nodes + 1 step row, one transaction), 1 writer",
          value: one,
          unit: "checkpoints/s",
          baseline: "raw single-row INSERT loop, same driver, 1 writer",
          baselineValue: rawOne,
        },
        {
          name: "checkpoint (run state, 20 nodes + 1 step row, one transaction), 8 writers",
          value: eight,
          unit: "checkpoints/s",
          baseline: "raw single-row INSERT loop, same driver, 8 writers",
          baselineValue: rawEight,
        },
        {
          name: "checkpointMany (group commit: 25 runs' checkpoints per statement), 1 writer",
          value: batch,
          unit: "checkpoints/s",
          baseline: "raw single-row INSERT loop, same driver, 1 writer",
          baselineValue: rawOne,
        },
      ];
      return figures;
    } finally {
      await raw?.close(true);
      await store?.close();
      await pg.dispose();
    }
  },
};

export default entry;

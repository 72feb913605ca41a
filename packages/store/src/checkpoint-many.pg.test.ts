// Group commit (`runs.checkpointMany`) and the single-statement run creation and read.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { definition, openTestStore, runState as state } from "./__fixtures__/store.ts";
import { NotFoundError, type Store, ValidationError } from "./index.ts";

describe("runs.checkpointMany", () => {
  let store: Store;
  let workflowId = "";
  beforeAll(async () => {
    store = await openTestStore();
    workflowId = (await store.workflows.create({ name: "Batch" })).id;
    await store.workflows.publish(workflowId, { definition: definition() });
  });
  afterAll(async () => {
    await store.close();
  });

  it("writes the checkpoints of many runs, each with its step row", async () => {
    const runs = await Promise.all(Array.from({ length: 30 }, () => store.runs.create({ workflowId })));
    const failures = await store.runs.checkpointMany(
      runs.map((run, i) => ({
        runId: run.id,
        input: {
          state: state(run.id, workflowId, { scan: { status: "succeeded", attempts: 1, output: { i } } }),
          status: i % 2 === 0 ? "running" : "succeeded",
          workerId: "w-1",
          ...(i % 2 === 1 ? { output: { scan: { i } } } : {}),
          step: {
            nodeId: "scan",
            nodeType: "tenable.scan",
            attempt: 1,
            status: "succeeded",
            output: { i },
            port: "default",
            startedAt: "2026-01-01T00:00:00.000Z",
            finishedAt: "2026-01-01T00:00:00.250Z",
          },
        },
      })),
    );
    expect(failures.every((f) => f === undefined)).toBe(true);
    for (const [i, run] of runs.entries()) {
      const after = await store.runs.get(run.id);
      expect(after).toMatchObject({
        status: i % 2 === 0 ? "running" : "succeeded",
        checkpoints: 1,
        workerId: "w-1",
        output: i % 2 === 1 ? { scan: { i } } : null,
      });
      expect(after?.finishedAt === null).toBe(i % 2 === 0);
      const steps = await store.runs.listSteps(run.id);
      expect(steps).toHaveLength(1);
      expect(steps[0]).toMatchObject({ nodeId: "scan", output: { i }, durationMs: 250, port: "default" });
    }
  });

  it("refuses a bad or unknown item alone and writes the others", async () => {
    const [a, b] = await Promise.all([store.runs.create({ workflowId }), store.runs.create({ workflowId })]);
    if (!a || !b) throw new Error("runs not created");
    const failures = await store.runs.checkpointMany([
      { runId: a.id, input: { state: state(a.id, workflowId), status: "running" } },
      { runId: "00000000-0000-4000-8000-000000000000", input: { state: state("x", workflowId), status: "running" } },
      { runId: b.id, input: { state: state(b.id, workflowId), status: "exploded" as never } },
      { runId: "not-a-uuid", input: { state: state("y", workflowId), status: "running" } },
    ]);
    expect(failures[0]).toBeUndefined();
    expect(failures[1]).toBeInstanceOf(NotFoundError);
    expect(failures[2]).toBeInstanceOf(ValidationError);
    expect(failures[3]).toBeInstanceOf(NotFoundError);
    expect(await store.runs.get(a.id)).toMatchObject({ status: "running", checkpoints: 1 });
    expect(await store.runs.get(b.id)).toMatchObject({ status: "queued", checkpoints: 0 });
  });

  it("writes several checkpoints of one run in the order given", async () => {
    const run = await store.runs.create({ workflowId });
    const step = (nodeId: string) => ({ nodeId, nodeType: "core.noop", attempt: 1, status: "succeeded" as const });
    const failures = await store.runs.checkpointMany([
      { runId: run.id, input: { state: state(run.id, workflowId), status: "running", step: step("a") } },
      { runId: run.id, input: { state: state(run.id, workflowId), status: "succeeded", step: step("b") } },
    ]);
    expect(failures).toEqual([undefined, undefined]);
    expect(await store.runs.get(run.id)).toMatchObject({ status: "succeeded", checkpoints: 2 });
    expect((await store.runs.listSteps(run.id)).map((s) => s.nodeId).sort()).toEqual(["a", "b"]);
  });

  it("a statement PostgreSQL refuses writes nothing of the batch", async () => {
    const [a, b] = await Promise.all([store.runs.create({ workflowId }), store.runs.create({ workflowId })]);
    if (!a || !b) throw new Error("runs not created");
    await expect(
      store.runs.checkpointMany([
        { runId: a.id, input: { state: state(a.id, workflowId), status: "running" } },
        {
          runId: b.id,
          input: {
            state: state(b.id, workflowId),
            status: "running",
            step: {
              nodeId: "x",
              nodeType: "http.request",
              attempt: 1,
              status: "succeeded",
              output: { body: "a\u0000b" },
            },
          },
        },
      ]),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(await store.runs.get(a.id)).toMatchObject({ status: "queued", checkpoints: 0 });
    expect(await store.runs.get(b.id)).toMatchObject({ status: "queued", checkpoints: 0 });
  });
});

describe("runs.create and runs.get", () => {
  let store: Store;
  beforeAll(async () => {
    store = await openTestStore();
  });
  afterAll(async () => {
    await store.close();
  });

  it("pins a version by id, by semver or the latest, and says which one is missing", async () => {
    const workflow = await store.workflows.create({ name: "Versions" });
    const v1 = await store.workflows.publish(workflow.id, { definition: definition("one") });
    const v2 = await store.workflows.publish(workflow.id, { definition: definition("two") });
    const latest = await store.runs.create({ workflowId: workflow.id });
    expect(latest).toMatchObject({ workflowVersionId: v2.id, version: v2.version });
    expect(await store.runs.create({ workflowId: workflow.id, version: v1.version })).toMatchObject({
      workflowVersionId: v1.id,
      version: v1.version,
    });
    expect(await store.runs.create({ workflowId: workflow.id, workflowVersionId: v1.id })).toMatchObject({
      version: v1.version,
    });
    const unknown = await store.runs.create({ workflowId: workflow.id, version: "9.9.9" }).catch((e) => e);
    expect(unknown).toBeInstanceOf(NotFoundError);
    expect(unknown.message).toContain("9.9.9");
    const other = await store.workflows.create({ name: "Other" });
    const wrong = await store.runs.create({ workflowId: other.id, workflowVersionId: v1.id }).catch((e) => e);
    expect(wrong).toBeInstanceOf(NotFoundError);
    expect(wrong.message).toContain(v1.id);
    const missing = await store.runs.create({ workflowId: "00000000-0000-4000-8000-000000000000" }).catch((e) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing.message).toContain("workflow");
  });

  it("creates a run of a never-published workflow without a version", async () => {
    const workflow = await store.workflows.create({ name: "Draft only" });
    const run = await store.runs.create({ workflowId: workflow.id, input: { a: 1 }, triggerKind: "webhook" });
    expect(run).toMatchObject({ workflowVersionId: null, version: null, status: "queued", triggerKind: "webhook" });
    expect(await store.runs.get(run.id)).toEqual(run);
  });

  it("lists runs created one after the other newest first, even within one millisecond", async () => {
    const workflow = await store.workflows.create({ name: "Burst" });
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await store.runs.create({ workflowId: workflow.id })).id);
    const page = await store.runs.list({ workflowId: workflow.id, limit: 20 });
    expect(page.items.map((r) => r.id)).toEqual(ids.reverse());
  });

  it("reads nothing for an id that is not a run id", async () => {
    expect(await store.runs.get("not-a-uuid")).toBeUndefined();
    expect(await store.runs.get("00000000-0000-4000-8000-000000000000")).toBeUndefined();
  });
});

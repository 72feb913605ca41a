import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { definition, openTestStore, runState as state } from "./__fixtures__/store.ts";
import { ConflictError, NotFoundError, type Store, ValidationError } from "./index.ts";

describe("runs", () => {
  let store: Store;
  let workflowId = "";
  beforeAll(async () => {
    store = await openTestStore({ maxOutputBytes: 1024 });
    const workflow = await store.workflows.create({ name: "Triage" });
    workflowId = workflow.id;
    await store.workflows.publish(workflowId, { definition: definition() });
  });
  afterAll(async () => {
    await store.close();
  });

  it("creates a queued run pinned to the latest published version", async () => {
    const run = await store.runs.create({ workflowId, input: { host: "10.0.0.1" }, correlationId: "c-1" });
    expect(run).toMatchObject({ status: "queued", version: "1.0.0", input: { host: "10.0.0.1" }, state: null });
    expect(await store.runs.get(run.id)).toEqual(run);
    await expect(store.runs.create({ workflowId, version: "9.9.9" })).rejects.toBeInstanceOf(NotFoundError);
  });

  it("checkpoints run state and the attempt's step row together", async () => {
    const run = await store.runs.create({ workflowId });
    const s = state(run.id, workflowId, { scan: { status: "succeeded", attempts: 1, output: { hosts: 3 } } });
    await store.runs.checkpoint(run.id, {
      state: s,
      status: "running",
      progress: { done: 1, total: 2 },
      step: {
        nodeId: "scan",
        nodeType: "tenable.scan",
        attempt: 1,
        status: "succeeded",
        config: { target: "10.0.0.0/24" },
        output: { hosts: 3 },
        port: "default",
        logs: [{ level: "info", message: "scanned", at: new Date().toISOString() }],
        startedAt: "2026-01-01T00:00:00.000Z",
        finishedAt: "2026-01-01T00:00:01.500Z",
        workerId: "w-1",
      },
    });
    const after = await store.runs.get(run.id);
    expect(after).toMatchObject({ status: "running", state: s, progress: { done: 1, total: 2 }, checkpoints: 1 });
    expect(after?.startedAt).not.toBeNull();
    const steps = await store.runs.listSteps(run.id);
    expect(steps).toHaveLength(1);
    expect(steps[0]).toMatchObject({
      nodeId: "scan",
      attempt: 1,
      output: { hosts: 3 },
      outputTruncated: false,
      durationMs: 1500,
      workerId: "w-1",
    });
    expect(steps[0]?.logs[0]?.message).toBe("scanned");
  });

  it("a re-delivered checkpoint updates its step instead of adding a second row", async () => {
    const run = await store.runs.create({ workflowId });
    const step = { nodeId: "ticket", nodeType: "jira.createIssue", attempt: 1, status: "suspended" as const };
    await store.runs.checkpoint(run.id, { state: state(run.id, workflowId), status: "waiting", step });
    await store.runs.checkpoint(run.id, {
      state: state(run.id, workflowId),
      status: "running",
      step: { ...step, status: "succeeded", output: { key: "SEC-1" } },
    });
    const steps = await store.runs.listSteps(run.id);
    expect(steps).toHaveLength(1);
    expect(steps[0]).toMatchObject({ status: "succeeded", output: { key: "SEC-1" } });
  });

  it("a checkpoint that fails mid-way leaves the previous checkpoint intact", async () => {
    const run = await store.runs.create({ workflowId });
    const first = state(run.id, workflowId, { a: { status: "succeeded", attempts: 1 } });
    await store.runs.checkpoint(run.id, {
      state: first,
      status: "running",
      step: { nodeId: "a", nodeType: "core.noop", attempt: 1, status: "succeeded" },
    });
    // The run row is updated first; the step insert then violates the attempt >= 1 check.
    const second = state(run.id, workflowId, {
      a: { status: "succeeded", attempts: 1 },
      b: { status: "failed", attempts: 1 },
    });
    await expect(
      store.runs.checkpoint(run.id, {
        state: second,
        status: "failed",
        step: { nodeId: "b", nodeType: "core.noop", attempt: 0, status: "failed" },
      }),
    ).rejects.toBeInstanceOf(ValidationError);
    const after = await store.runs.get(run.id);
    expect(after).toMatchObject({ status: "running", state: first, checkpoints: 1, finishedAt: null });
    expect((await store.runs.listSteps(run.id)).map((s) => s.nodeId)).toEqual(["a"]);
  });

  it("a checkpoint whose output PostgreSQL cannot store is refused and changes nothing", async () => {
    const run = await store.runs.create({ workflowId });
    await expect(
      store.runs.checkpoint(run.id, {
        state: state(run.id, workflowId),
        status: "running",
        step: { nodeId: "x", nodeType: "http.request", attempt: 1, status: "succeeded", output: { body: "a\u0000b" } },
      }),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(await store.runs.get(run.id)).toMatchObject({ status: "queued", checkpoints: 0 });
  });

  it("truncates a step output over the limit and marks the row", async () => {
    const run = await store.runs.create({ workflowId });
    const big = { items: Array.from({ length: 500 }, (_, i) => ({ i, text: "vulnerability finding" })) };
    await store.runs.checkpoint(run.id, {
      state: state(run.id, workflowId),
      status: "running",
      step: { nodeId: "export", nodeType: "tenable.export", attempt: 1, status: "succeeded", output: big },
    });
    const [step] = await store.runs.listSteps(run.id);
    expect(step?.outputTruncated).toBe(true);
    expect(step?.outputBytes).toBe(Buffer.byteLength(JSON.stringify(big)));
    expect(JSON.stringify(step?.output).length).toBeLessThanOrEqual(1024 + 64);
    expect(step?.output).toMatchObject({ truncated: true });
  });

  it("checkpointing an unknown run is a NotFoundError", async () => {
    await expect(
      store.runs.checkpoint("00000000-0000-4000-8000-000000000000", {
        state: state("x", workflowId),
        status: "running",
      }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it("markStatus with `from` changes only runs in those statuses", async () => {
    const run = await store.runs.create({ workflowId });
    const paused = await store.runs.markStatus(run.id, "paused", { from: ["queued", "running"] });
    expect(paused.status).toBe("paused");
    const cancelled = await store.runs.markStatus(run.id, "cancelled");
    expect(cancelled.finishedAt).not.toBeNull();
    const error = await store.runs.markStatus(run.id, "running", { from: ["paused"] }).catch((e) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.details.status).toBe("cancelled");
  });

  it("a lease is held by one worker at a time until released or expired", async () => {
    const run = await store.runs.create({ workflowId });
    expect(await store.runs.acquireLease(run.id, "w1", 60_000)).toBe(true);
    expect(await store.runs.acquireLease(run.id, "w2", 60_000)).toBe(false);
    expect(await store.runs.acquireLease(run.id, "w1", 60_000)).toBe(true);
    await store.runs.releaseLease(run.id, "w1");
    expect(await store.runs.acquireLease(run.id, "w2", -1)).toBe(true);
    expect(await store.runs.acquireLease(run.id, "w3", 60_000)).toBe(true);
  });

  it("lists runs by workflow, status and time with a total, and the active runs of a workflow", async () => {
    const other = await store.workflows.create({ name: "Other" });
    const a = await store.runs.create({ workflowId: other.id });
    const b = await store.runs.create({ workflowId: other.id });
    await store.runs.markStatus(b.id, "succeeded");
    const all = await store.runs.list({ workflowId: other.id });
    expect(all.total).toBe(2);
    expect(all.items.map((r) => r.id)).toEqual([b.id, a.id]);
    expect("state" in (all.items[0] ?? {})).toBe(false);
    const done = await store.runs.list({ workflowId: other.id, status: ["succeeded", "failed"] });
    expect(done.items.map((r) => r.id)).toEqual([b.id]);
    const page = await store.runs.list({ workflowId: other.id, limit: 1, offset: 1 });
    expect(page).toMatchObject({ total: 2, items: [{ id: a.id }] });
    expect((await store.runs.list({ workflowId: other.id, since: new Date(Date.now() + 60_000) })).total).toBe(0);
    expect((await store.runs.activeForWorkflow(other.id)).map((r) => r.id)).toEqual([a.id]);
    await expect(store.runs.list({ limit: 0 })).rejects.toBeInstanceOf(ValidationError);
  });

  it("prune deletes finished runs older than N days with their steps, in batches, and keeps the rest", async () => {
    const wf = await store.workflows.create({ name: "Retention" });
    const old: string[] = [];
    for (let i = 0; i < 5; i++) {
      const run = await store.runs.create({ workflowId: wf.id });
      await store.runs.checkpoint(run.id, {
        state: state(run.id, wf.id),
        status: "succeeded",
        step: { nodeId: "n", nodeType: "core.noop", attempt: 1, status: "succeeded" },
      });
      old.push(run.id);
    }
    const active = await store.runs.create({ workflowId: wf.id });
    const recent = await store.runs.create({ workflowId: wf.id });
    await store.runs.markStatus(recent.id, "failed");
    // Age the finished runs by 40 days, straight in the database.
    const { MikroORM } = await import("@mikro-orm/postgresql");
    const orm = await MikroORM.init({
      clientUrl: store.databaseUrl,
      entities: [],
      discovery: { warnWhenNoEntities: false },
    });
    await orm.em.execute(
      `update runs set finished_at = now() - interval '40 days' where id in (${old.map(() => "?").join(",")})`,
      old,
    );
    await orm.close();

    expect(await store.runs.prune(30, 2)).toBe(5);
    for (const id of old) expect(await store.runs.get(id)).toBeUndefined();
    expect(await store.runs.listSteps(old[0] ?? "")).toEqual([]);
    expect(await store.runs.get(active.id)).toBeDefined();
    expect(await store.runs.get(recent.id)).toBeDefined();
    expect(await store.runs.prune(30)).toBe(0);
  });
});

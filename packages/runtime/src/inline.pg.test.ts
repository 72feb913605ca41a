import { openStore, type Store } from "@weft/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/pg.ts";
import { chain, publish, TEST_ENCRYPTION_KEY } from "./__fixtures__/harness.ts";
import probePlugin from "./__fixtures__/probe-plugin.ts";
import type { RunEvent } from "./events.ts";
import { loadPlugins, type PluginCatalog } from "./loader/index.ts";
import { createRuntime, type Runtime } from "./runtime.ts";

let store: Store;
let catalog: PluginCatalog;
const runtimes: Runtime[] = [];

async function inlineRuntime(): Promise<Runtime> {
  const runtime = await createRuntime({ store, catalog, transport: "inline", workerId: "inline-test" });
  runtimes.push(runtime);
  await runtime.start();
  return runtime;
}

beforeAll(async () => {
  store = await openStore({ databaseUrl: await createTestDatabase("rt_inline"), encryptionKey: TEST_ENCRYPTION_KEY });
  catalog = await loadPlugins({ plugins: ["@weft/plugin-core", probePlugin] });
});
afterAll(async () => {
  for (const runtime of runtimes) await runtime.stop({ graceMs: 1000 });
  await store?.close();
});

describe("inline transport", () => {
  it("runs a workflow to success, recording one step per node with the worker id, and streams events", async () => {
    const runtime = await inlineRuntime();
    const workflowId = await publish(
      store,
      chain([
        { id: "a", type: "control.noop" },
        { id: "b", type: "control.noop" },
      ]),
    );
    const events: RunEvent[] = [];
    const { runId, status } = await runtime.startRun({ workflowId, input: { host: "10.0.0.1" } });
    expect(status).toBe("queued");
    runtime.subscribe(runId, (event) => events.push(event));
    const run = await runtime.waitForRun(runId);
    expect(run.status).toBe("succeeded");
    const steps = await store.runs.listSteps(runId);
    expect(steps.map((s) => s.nodeId).sort()).toEqual(["a", "b", "trigger"]);
    expect(steps.every((s) => s.status === "succeeded" && s.workerId === "inline-test")).toBe(true);
    expect(events.at(-1)?.type).toBe("run.finished");
  });

  it("resumes an approval: the runtime creates the approval row, resumeRun continues on the approved port", async () => {
    const runtime = await inlineRuntime();
    const definition = chain([
      { id: "approve", type: "approval.request", config: { title: "Isolate host?", approverRole: "operator" } },
    ]);
    definition.nodes.push({ id: "after", type: "control.noop", data: { config: {} } });
    definition.edges.push({ id: "e-approved", source: "approve", target: "after", sourceHandle: "approved" });
    const workflowId = await publish(store, definition);
    const { runId } = await runtime.startRun({ workflowId });
    const waiting = await runtime.waitForRun(runId);
    expect(waiting.status).toBe("waiting");
    const [approval] = await store.approvals.listForRun(runId);
    expect(approval).toMatchObject({ nodeId: "approve", approverRole: "operator", status: "pending" });
    await store.approvals.decide(approval?.id as string, { decision: "approved", by: "alice" });
    await runtime.resumeRun(runId, "approve", { decision: "approved", by: "alice", comment: "ok" });
    const done = await runtime.waitForRun(runId, { terminal: true });
    expect(done.status).toBe("succeeded");
    expect(done.state?.nodes.after?.status).toBe("succeeded");
    await expect(runtime.resumeRun(runId, "approve", null)).rejects.toMatchObject({ code: "WEFT_E_RUN_NOT_WAITING" });
  });

  it("continues a delayed run after the server restarts", async () => {
    const first = await inlineRuntime();
    const workflowId = await publish(
      store,
      chain([
        { id: "wait", type: "control.delay", config: { durationMs: 1500 } },
        { id: "after", type: "control.noop" },
      ]),
    );
    const { runId } = await first.startRun({ workflowId });
    expect((await first.waitForRun(runId)).status).toBe("waiting");
    await first.stop({ graceMs: 1000 });

    const second = await inlineRuntime();
    const done = await second.waitForRun(runId, { terminal: true, timeoutMs: 20_000 });
    expect(done.status).toBe("succeeded");
    const steps = await store.runs.listSteps(runId);
    expect(steps.filter((s) => s.nodeId === "after")).toHaveLength(1);
  });

  it("cancels a waiting run and refuses to cancel it twice", async () => {
    const runtime = await inlineRuntime();
    const workflowId = await publish(
      store,
      chain([{ id: "wait", type: "control.delay", config: { durationMs: 60_000 } }]),
    );
    const { runId } = await runtime.startRun({ workflowId });
    await runtime.waitForRun(runId);
    await runtime.cancelRun(runId);
    const run = await runtime.waitForRun(runId);
    expect(run.status).toBe("cancelled");
    expect(run.state?.nodes.wait?.status).toBe("cancelled");
    await expect(runtime.cancelRun(runId)).rejects.toMatchObject({ code: "WEFT_E_RUN_NOT_ACTIVE" });
  });

  it("says which run is unknown", async () => {
    const runtime = await inlineRuntime();
    await expect(runtime.resumeRun("00000000-0000-4000-8000-000000000000", "x", null)).rejects.toMatchObject({
      code: "WEFT_E_RUN_NOT_FOUND",
    });
  });

  it("runs a definition directly (snapshotted as a version) and refuses an invalid one with the issues", async () => {
    const runtime = await inlineRuntime();
    const workflow = await store.workflows.create({ name: "draft only" });
    const { runId } = await runtime.startRun({
      workflowId: workflow.id,
      definition: chain([{ id: "a", type: "control.noop" }]),
    });
    expect((await runtime.waitForRun(runId)).status).toBe("succeeded");
    expect((await store.runs.get(runId))?.version).toBe("1.0.0");
    await expect(
      runtime.startRun({ workflowId: workflow.id, definition: chain([{ id: "a", type: "no.such.type" }]) }),
    ).rejects.toMatchObject({ code: "WEFT_E_INVALID_WORKFLOW", status: 422 });
  });

  it("fails, instead of retrying forever, a run whose published version no longer compiles", async () => {
    const runtime = await inlineRuntime();
    const workflow = await store.workflows.create({ name: "stale version" });
    // Published without validation, as a version whose plugin was uninstalled afterwards looks.
    await store.workflows.publish(workflow.id, { definition: chain([{ id: "a", type: "gone.plugin" }]) });
    const started = await runtime.startRun({ workflowId: workflow.id });
    const run = await runtime.waitForRun(started.runId, { timeoutMs: 10_000 });
    expect(run.status).toBe("failed");
    expect(run.error).toMatchObject({ code: "WEFT_E_INVALID_WORKFLOW" });
  });

  it("refuses to start a workflow that was never published, writing no run", async () => {
    const runtime = await inlineRuntime();
    const workflow = await store.workflows.create({ name: "never published" });
    await expect(runtime.startRun({ workflowId: workflow.id })).rejects.toMatchObject({
      code: "WEFT_E_WORKFLOW_NOT_PUBLISHED",
    });
    expect((await store.runs.list({ workflowId: workflow.id })).items).toEqual([]);
  });

  it("leaves no version, no status change and no run when a directly run definition is refused", async () => {
    const runtime = await inlineRuntime();
    const workflow = await store.workflows.create({ name: "refused snapshot" });
    const refusals = [
      // invalid graph: refused before anything is written
      runtime.startRun({ workflowId: workflow.id, definition: chain([{ id: "a", type: "no.such.type" }]) }),
      // the store refuses the run (unknown parent run): the snapshot version is rolled back with it
      runtime.startRun({
        workflowId: workflow.id,
        definition: chain([{ id: "a", type: "control.noop" }]),
        parentRunId: "00000000-0000-4000-8000-000000000000",
      }),
    ];
    for (const refusal of refusals) await expect(refusal).rejects.toHaveProperty("code");
    expect(await store.workflows.listVersions(workflow.id)).toEqual([]);
    expect(await store.workflows.get(workflow.id)).toMatchObject({ status: "draft", latestVersion: null });
    expect((await store.runs.list({ workflowId: workflow.id })).items).toEqual([]);
  });

  it("applies an approval decided while the server was down when it starts again", async () => {
    const first = await inlineRuntime();
    const definition = chain([{ id: "approve", type: "approval.request", config: { title: "Close ticket?" } }]);
    definition.nodes.push({ id: "rejected", type: "control.noop", data: { config: {} } });
    definition.edges.push({ id: "e-rejected", source: "approve", target: "rejected", sourceHandle: "rejected" });
    const workflowId = await publish(store, definition);
    const { runId } = await first.startRun({ workflowId });
    expect((await first.waitForRun(runId)).status).toBe("waiting");
    await first.stop({ graceMs: 1000 });
    const [approval] = await store.approvals.listForRun(runId);
    await store.approvals.decide(approval?.id as string, { decision: "rejected", by: "bob", comment: "not now" });

    const second = await inlineRuntime();
    const done = await second.waitForRun(runId, { terminal: true });
    expect(done.status).toBe("succeeded");
    expect(done.state?.nodes.rejected?.status).toBe("succeeded");
    expect(done.state?.nodes.approve?.output).toMatchObject({ decision: "rejected", by: "bob" });
  });

  it("fails with WEFT_E_APPROVAL_EXPIRED a run whose approval expired while nothing resumed it", async () => {
    const first = await inlineRuntime();
    const definition = chain([{ id: "approve", type: "approval.request", config: { title: "Patch now?" } }]);
    const workflowId = await publish(store, definition);
    const { runId } = await first.startRun({ workflowId });
    expect((await first.waitForRun(runId)).status).toBe("waiting");
    await first.stop({ graceMs: 1000 });
    // The expiry was claimed (as a scheduler does) but the process died before resuming the run.
    const expired = await store.approvals.expireDue(new Date(Date.now() + 365 * 86_400_000));
    expect(expired.map((a) => a.runId)).toContain(runId);

    const second = await inlineRuntime();
    const done = await second.waitForRun(runId, { terminal: true });
    expect(done.status).toBe("failed");
    expect(done.error).toMatchObject({ code: "WEFT_E_APPROVAL_EXPIRED" });
  });
});

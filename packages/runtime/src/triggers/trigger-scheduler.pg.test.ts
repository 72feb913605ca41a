// Schedule triggers on real PostgreSQL: two schedulers (as two processes would, each with its own
// store and runtime) share one database, and each due time starts exactly one run; each overdue
// approval is expired, and its run resumed, exactly once.
import { randomBytes } from "node:crypto";
import type { Json } from "@weft/kernel";
import { openStore, type Store } from "@weft/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../../test/pg.ts";
import { loadPlugins } from "../loader/index.ts";
import { createRuntime, type Runtime } from "../runtime.ts";
import { nextScheduledRun, scheduleProblem } from "./schedule.ts";
import { TriggerScheduler } from "./trigger-scheduler.ts";

const EVERY_SECOND = "* * * * * *";

interface Process {
  store: Store;
  runtime: Runtime;
  scheduler: TriggerScheduler;
}

const processes: Process[] = [];
let store: Store;

async function startProcess(databaseUrl: string, key: Buffer): Promise<Process> {
  const own = await openStore({ databaseUrl, encryptionKey: key, poolSize: 4 });
  const catalog = await loadPlugins({ plugins: ["@weft/plugin-core"] });
  const runtime = await createRuntime({ store: own, catalog, transport: "inline", workerId: `p${processes.length}` });
  await runtime.start();
  const scheduler = new TriggerScheduler({ store: own, runtime, intervalMs: 100 });
  const process = { store: own, runtime, scheduler };
  processes.push(process);
  return process;
}

/** manual start → approval.request expiring after a second → "done" on approved, "handled" on error. */
async function approvalWorkflow(name: string, onError?: "route"): Promise<string> {
  const workflow = await store.workflows.create({ name });
  await store.workflows.publish(workflow.id, {
    definition: {
      name,
      nodes: [
        { id: "start", type: "trigger.manual", data: {} },
        {
          id: "ask",
          type: "approval.request",
          data: { config: { title: "Isolate web-01?", expiresInMs: 1000 }, ...(onError ? { onError } : {}) },
        },
        { id: "done", type: "control.noop", data: { config: { value: "isolated" } } },
        ...(onError ? [{ id: "handled", type: "control.noop", data: { config: { value: "nobody answered" } } }] : []),
      ],
      edges: [
        { id: "e1", source: "start", target: "ask" },
        { id: "e2", source: "ask", target: "done", sourceHandle: "approved" },
        ...(onError ? [{ id: "e3", source: "ask", target: "handled", sourceHandle: "error" }] : []),
      ],
    } as unknown as Json,
  });
  return workflow.id;
}

/** Starts the workflow and waits until its approval is recorded; returns the run and the approval. */
async function parkedOnApproval(workflowId: string) {
  const { runId } = await (processes[0] as Process).runtime.startRun({ workflowId, input: { host: "web-01" } });
  for (let i = 0; i < 200; i++) {
    const [approval] = await store.approvals.listPending({ runId });
    if (approval) return { runId, approval };
    const run = await store.runs.get(runId);
    if (run && ["failed", "succeeded", "cancelled"].includes(run.status))
      throw new Error(`run ${runId} ended ${run.status} before it waited: ${JSON.stringify(run.error)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`run ${runId} never waited for an approval`);
}

/** Both schedulers poll at once, just after the approval's expiry. */
async function racePast(expiresAt: string | null) {
  const after = new Date(Date.parse(expiresAt as string) + 1);
  const [a, b] = processes as [Process, Process];
  const ticks = await Promise.all([a.scheduler.tick(after), b.scheduler.tick(after)]);
  return ticks.flatMap((t) => t.expired);
}

async function scheduledWorkflow(name: string): Promise<string> {
  const workflow = await store.workflows.create({ name });
  await store.workflows.publish(workflow.id, {
    definition: {
      name,
      nodes: [
        { id: "tick", type: "trigger.schedule", data: { config: { cron: EVERY_SECOND, timezone: "UTC" } } },
        { id: "done", type: "control.noop", data: { config: { value: "ok" } } },
      ],
      edges: [{ id: "e1", source: "tick", target: "done" }],
    } as unknown as Json,
  });
  return workflow.id;
}

beforeAll(async () => {
  const databaseUrl = await createTestDatabase("rt_sched");
  const key = randomBytes(32);
  await startProcess(databaseUrl, key);
  await startProcess(databaseUrl, key);
  store = (processes[0] as Process).store;
});

afterAll(async () => {
  for (const p of processes) await p.scheduler.stop();
  for (const p of processes) await p.runtime.stop({ graceMs: 1000 });
  for (const p of processes) await p.store.close();
});

describe("TriggerScheduler", () => {
  it("gives a schedule created without a due time its first one, and fires a due time once when two schedulers race", async () => {
    const workflowId = await scheduledWorkflow("raced");
    const trigger = await store.triggers.create({ workflowId, kind: "schedule", cron: "0 9 * * *" });
    const [a, b] = processes as [Process, Process];
    const now = new Date("2026-03-02T08:00:00.000Z");
    await a.scheduler.tick(now);
    expect((await store.triggers.get(trigger.id))?.nextRunAt).toBe("2026-03-02T09:00:00.000Z");

    const due = new Date("2026-03-02T09:00:00.500Z");
    const [first, second] = await Promise.all([a.scheduler.tick(due), b.scheduler.tick(due)]);
    const fired = [...first.fired, ...second.fired];
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatchObject({ triggerId: trigger.id, scheduledAt: "2026-03-02T09:00:00.000Z" });
    expect(first.skipped + second.skipped).toBe(1);
    const after = await store.triggers.get(trigger.id);
    expect(after?.nextRunAt).toBe("2026-03-03T09:00:00.000Z");
    expect(after?.lastRunAt).not.toBeNull();

    const run = await a.runtime.waitForRun(fired[0]?.runId as string, { terminal: true, timeoutMs: 20_000 });
    expect(run).toMatchObject({ status: "succeeded", triggerKind: "schedule", triggerId: trigger.id });
    const steps = await store.runs.listSteps(run.id);
    expect(steps.find((s) => s.nodeId === "tick")?.output).toMatchObject({ firedAt: "2026-03-02T09:00:00.000Z" });
  });

  it("fires an every-second schedule from two polling schedulers: one run per due time", async () => {
    const workflowId = await scheduledWorkflow("every second");
    const trigger = await store.triggers.create({
      workflowId,
      kind: "schedule",
      cron: EVERY_SECOND,
      nextRunAt: nextScheduledRun({ cron: EVERY_SECOND }),
    });
    for (const p of processes) p.scheduler.start();
    let runs = (await store.runs.list({ workflowId, limit: 500 })).items;
    for (let i = 0; i < 200 && runs.length < 4; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      runs = (await store.runs.list({ workflowId, limit: 500 })).items;
    }
    for (const p of processes) await p.scheduler.stop();
    runs = (await store.runs.list({ workflowId, limit: 500 })).items;

    expect(runs.length).toBeGreaterThanOrEqual(4);
    const dueTimes = runs.map((r) => (r.input as { scheduledAt: string }).scheduledAt);
    expect(new Set(dueTimes).size).toBe(dueTimes.length);
    for (const at of dueTimes) expect(at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
    expect(runs.every((r) => r.triggerId === trigger.id && r.triggerKind === "schedule")).toBe(true);
    for (const run of runs) {
      const done = await (processes[0] as Process).runtime.waitForRun(run.id, { terminal: true, timeoutMs: 20_000 });
      expect(done.status).toBe("succeeded");
    }
  });

  it("tells what is wrong with a schedule", () => {
    expect(scheduleProblem({ cron: EVERY_SECOND })).toBeUndefined();
    expect(scheduleProblem({ cron: "61 * * * *" })).toMatchObject({ field: "cron" });
    expect(scheduleProblem({ cron: "* * * * *", timezone: "Mars/Olympus" })).toMatchObject({ field: "timezone" });
    expect(nextScheduledRun({ cron: "0 9 * * *", timezone: "Europe/Paris" }, new Date("2026-07-01T12:00:00Z"))).toEqual(
      new Date("2026-07-02T07:00:00Z"),
    );
  });

  it("expires an undecided approval once across two schedulers and fails the run with WEFT_E_APPROVAL_EXPIRED", async () => {
    const { runId, approval } = await parkedOnApproval(await approvalWorkflow("expiring"));
    expect(approval.expiresAt).not.toBeNull();
    // Not yet due: nothing happens.
    const early = await (processes[0] as Process).scheduler.tick(
      new Date(Date.parse(approval.expiresAt as string) - 1),
    );
    expect(early.expired.filter((e) => e.runId === runId)).toEqual([]);

    const expired = (await racePast(approval.expiresAt)).filter((e) => e.runId === runId);
    expect(expired).toEqual([{ approvalId: approval.id, runId, nodeId: "ask" }]);
    // A later poll finds nothing left to expire.
    expect((await racePast(approval.expiresAt)).filter((e) => e.runId === runId)).toEqual([]);

    const run = await (processes[0] as Process).runtime.waitForRun(runId, { terminal: true, timeoutMs: 20_000 });
    expect(run.status).toBe("failed");
    expect(run.error).toMatchObject({ code: "WEFT_E_APPROVAL_EXPIRED", retryable: false });
    expect(await store.approvals.get(approval.id)).toMatchObject({ status: "expired" });
    const failed = (await store.runs.listSteps(runId)).filter((s) => s.nodeId === "ask" && s.status === "failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]?.errorCode).toBe("WEFT_E_APPROVAL_EXPIRED");
    await expect(store.approvals.decide(approval.id, { decision: "approved", by: "alice" })).rejects.toMatchObject({
      code: "WEFT_E_STORE_CONFLICT",
    });
  });

  it('routes an expired approval to the error port when the node has onError: "route"', async () => {
    const { runId, approval } = await parkedOnApproval(await approvalWorkflow("expiring, routed", "route"));
    expect((await racePast(approval.expiresAt)).filter((e) => e.runId === runId)).toHaveLength(1);
    const run = await (processes[0] as Process).runtime.waitForRun(runId, { terminal: true, timeoutMs: 20_000 });
    expect(run.status).toBe("succeeded");
    const steps = await store.runs.listSteps(runId);
    expect(steps.find((s) => s.nodeId === "handled")?.output).toBe("nobody answered");
    expect(steps.some((s) => s.nodeId === "done" && s.status === "succeeded")).toBe(false);
  });
});

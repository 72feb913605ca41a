// Retention through the API: POST /api/runs/prune deletes finished runs older than N days with their
// steps, keeps recent and active ones, and is recorded in the audit trail.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ageRuns } from "../../../test/pg.ts";
import { startTestApi, type TestApi } from "./__fixtures__/api.ts";
import { branchingWorkflow, waitingWorkflow } from "./__fixtures__/workflows.ts";

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api?.close();
});

async function startRun(definition: unknown): Promise<string> {
  const created = await api.call("POST", "/api/workflows", { role: "editor", body: { definition } });
  const started = await api.call("POST", `/api/workflows/${created.body.id}/execute`, { role: "operator", body: {} });
  expect(started.status, JSON.stringify(started.body)).toBe(202);
  await api.runtime.waitForRun(started.body.runId, { timeoutMs: 20_000 });
  return started.body.runId;
}

const age = (ids: string[], days: number) => ageRuns(api.store.databaseUrl, ids, days);

async function stepCount(runId: string): Promise<number> {
  return (await api.store.runs.listSteps(runId)).length;
}

describe("POST /api/runs/prune", () => {
  it("deletes finished runs older than N days with their steps, never active or recent ones", async () => {
    const old = [await startRun(branchingWorkflow("Old 1")), await startRun(branchingWorkflow("Old 2"))];
    const waiting = await startRun(waitingWorkflow());
    const recent = await startRun(branchingWorkflow("Recent"));
    expect((await api.call("GET", `/api/runs/${waiting}`, { role: "viewer" })).body.status).toBe("waiting");
    expect(await stepCount(old[0] ?? "")).toBeGreaterThan(0);
    await age([...old, waiting], 40);
    await age([recent], 5);

    const res = await api.call("POST", "/api/runs/prune", { role: "admin", body: { olderThanDays: 30, batchSize: 1 } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({ deleted: 2 });
    for (const id of old) {
      expect((await api.call("GET", `/api/runs/${id}`, { role: "viewer" })).status).toBe(404);
      expect(await stepCount(id)).toBe(0);
    }
    expect((await api.call("GET", `/api/runs/${waiting}`, { role: "viewer" })).body.status).toBe("waiting");
    expect((await api.call("GET", `/api/runs/${recent}`, { role: "viewer" })).status).toBe(200);

    const trail = await api.store.audit.list({ action: "run.prune" });
    expect(trail.items[0]).toMatchObject({ targetType: "run", after: { olderThanDays: 30, batchSize: 1, deleted: 2 } });
    expect((await api.call("POST", "/api/runs/prune", { role: "admin", body: { olderThanDays: 30 } })).body).toEqual({
      deleted: 0,
    });
  });

  it("refuses bad arguments and callers below admin", async () => {
    for (const body of [{}, { olderThanDays: -1 }, { olderThanDays: "30" }, { olderThanDays: 30, batchSize: 0 }]) {
      const res = await api.call("POST", "/api/runs/prune", { role: "admin", body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe("WEFT_E_VALIDATION");
    }
    expect((await api.call("POST", "/api/runs/prune", { role: "operator", body: { olderThanDays: 1 } })).status).toBe(
      403,
    );
  });
});

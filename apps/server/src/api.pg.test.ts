// The API's success cases, through a real listening server on PostgreSQL with an inline runtime.
import { createServer as createHttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "./__fixtures__/api.ts";
import {
  approvalWorkflow,
  branchingWorkflow,
  slowCallWorkflow,
  waitingWorkflow,
  webhookWaitWorkflow,
} from "./__fixtures__/workflows.ts";
import { signWebhook } from "./routes/triggers.ts";

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api?.close();
});

async function createWorkflow(definition: unknown, extra: Record<string, unknown> = {}) {
  const res = await api.call("POST", "/api/workflows", { role: "editor", body: { definition, ...extra } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string };
}

async function finished(runId: string) {
  await api.runtime.waitForRun(runId, { timeoutMs: 20_000, terminal: true });
  const res = await api.call("GET", `/api/runs/${runId}`, { role: "viewer" });
  expect(res.status).toBe(200);
  return res.body;
}

/** The run's pending approval (the runtime records it as the run parks). */
async function pendingApproval(runId: string) {
  for (let i = 0; i < 100; i++) {
    const res = await api.call("GET", `/api/approvals?status=pending&runId=${runId}`, { role: "viewer" });
    if (res.body.items.length > 0) return res.body.items;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`run ${runId} has no pending approval`);
}

describe("system routes", () => {
  it("answers health, readiness, metrics and the OpenAPI document without a key", async () => {
    const health = await api.call("GET", "/api/health", { role: "none" });
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: "ok" });
    expect((await api.call("GET", "/api/ready", { role: "none" })).body).toMatchObject({ status: "ready" });
    const metrics = await api.call("GET", "/metrics", { role: "none" });
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain("weft_http_requests_total");
    const doc = await api.call("GET", "/api/openapi.json", { role: "none" });
    expect(doc.body.openapi).toBe("3.1.0");
    expect(doc.body.paths["/api/workflows/{id}"].put.requestBody).toBeDefined();
  });

  it("serves the node-type catalog with JSON Schemas", async () => {
    const list = await api.call("GET", "/api/node-types", { role: "viewer" });
    expect(list.status).toBe(200);
    const types = list.body.items.map((t: { type: string }) => t.type);
    expect(types).toEqual(expect.arrayContaining(["condition.if", "http.request", "approval.request"]));
    const one = await api.call("GET", "/api/node-types/condition.if", { role: "viewer" });
    expect(one.body).toMatchObject({ type: "condition.if", category: "condition", ports: ["true", "false"] });
    expect(one.body.configSchema.properties.condition).toBeDefined();
    expect((await api.call("GET", "/api/node-types/nope.nothing", { role: "viewer" })).status).toBe(404);
  });
});

describe("workflows", () => {
  it("creates, reads, lists, updates, validates, publishes, versions and deletes", async () => {
    const created = await createWorkflow(branchingWorkflow("Alpha"), { category: "triage", tags: ["vuln"] });
    const got = await api.call("GET", `/api/workflows/${created.id}`, { role: "viewer" });
    expect(got.body).toMatchObject({ name: "Alpha", category: "triage", tags: ["vuln"], status: "draft" });
    expect(got.body.definition.nodes).toHaveLength(4);

    const listed = await api.call("GET", "/api/workflows?tag=vuln&text=alp&limit=5", { role: "viewer" });
    expect(listed.body).toMatchObject({ total: 1, limit: 5, offset: 0 });
    expect(listed.body.items[0].id).toBe(created.id);

    const renamed = branchingWorkflow("Alpha 2");
    const updated = await api.call("PUT", `/api/workflows/${created.id}`, {
      role: "editor",
      body: { name: "Alpha 2", definition: renamed },
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ name: "Alpha 2" });

    const validation = await api.call("POST", `/api/workflows/${created.id}/validate`, { role: "viewer", body: {} });
    expect(validation.body).toEqual({ valid: true, issues: [], nodes: {} });

    const published = await api.call("POST", `/api/workflows/${created.id}/publish`, {
      role: "editor",
      body: { notes: "first" },
    });
    expect(published.status).toBe(201);
    expect(published.body).toMatchObject({ version: "1.0.0", notes: "first" });
    expect(Object.keys(published.body.pluginVersions)).toContain("@weft/plugin-core");
    const second = await api.call("POST", `/api/workflows/${created.id}/publish`, {
      role: "editor",
      body: { version: "2.0.0" },
    });
    expect(second.body.version).toBe("2.0.0");
    const versions = await api.call("GET", `/api/workflows/${created.id}/versions`, { role: "viewer" });
    expect(versions.body.items.map((v: { version: string }) => v.version)).toEqual(["2.0.0", "1.0.0"]);
    const v1 = await api.call("GET", `/api/workflows/${created.id}/versions/1.0.0`, { role: "viewer" });
    expect(v1.body.definition.name).toBe("Alpha 2");
    expect((await api.call("GET", `/api/workflows/${created.id}`, { role: "viewer" })).body.status).toBe("active");

    const removed = await api.call("DELETE", `/api/workflows/${created.id}`, { role: "editor" });
    expect(removed.status).toBe(204);
    expect((await api.call("GET", `/api/workflows/${created.id}`, { role: "viewer" })).status).toBe(404);
  });

  it("executes the latest version and records one step per node", async () => {
    const wf = await createWorkflow(branchingWorkflow());
    await api.call("POST", `/api/workflows/${wf.id}/publish`, { role: "editor", body: {} });
    const started = await api.call("POST", `/api/workflows/${wf.id}/execute`, {
      role: "operator",
      body: { input: { severity: "critical", host: "web-01" } },
    });
    expect(started.status).toBe(202);
    expect(started.body.runId).toMatch(/^[0-9a-f-]{36}$/);
    const run = await finished(started.body.runId);
    expect(run.status).toBe("succeeded");
    expect(run.version).toBe("1.0.0");
    const byNode = Object.fromEntries(run.steps.map((s: { nodeId: string; status: string }) => [s.nodeId, s.status]));
    expect(byNode).toMatchObject({ start: "succeeded", check: "succeeded", page: "succeeded" });

    const runs = await api.call("GET", `/api/runs?workflowId=${wf.id}&status=succeeded`, { role: "viewer" });
    expect(runs.body.total).toBe(1);
    expect(runs.body.items[0].id).toBe(started.body.runId);
  });

  it("refuses to delete a workflow while a run is active, then cancels it", async () => {
    const wf = await createWorkflow(waitingWorkflow());
    const started = await api.call("POST", `/api/workflows/${wf.id}/execute`, { role: "operator", body: {} });
    expect(started.status).toBe(202);
    const waiting = await api.runtime.waitForRun(started.body.runId, { timeoutMs: 20_000 });
    expect(waiting.status).toBe("waiting");
    const refused = await api.call("DELETE", `/api/workflows/${wf.id}`, { role: "editor" });
    expect(refused.status).toBe(409);
    expect((await api.call("GET", `/api/workflows/${wf.id}`, { role: "viewer" })).status).toBe(200);

    const cancelled = await api.call("POST", `/api/runs/${started.body.runId}/cancel`, { role: "operator" });
    expect(cancelled.status).toBe(200);
    const run = await finished(started.body.runId);
    expect(run.status).toBe("cancelled");
    expect((await api.call("DELETE", `/api/workflows/${wf.id}`, { role: "editor" })).status).toBe(204);
  });
});

describe("approvals", () => {
  it("lists a pending approval, approves it once and the run continues", async () => {
    const wf = await createWorkflow(approvalWorkflow());
    const started = await api.call("POST", `/api/workflows/${wf.id}/execute`, { role: "operator", body: {} });
    await api.runtime.waitForRun(started.body.runId, { timeoutMs: 20_000 });
    const pending = await pendingApproval(started.body.runId);
    expect(pending).toHaveLength(1);
    const approval = pending[0];
    expect(approval).toMatchObject({ nodeId: "ask", status: "pending", approverRole: "operator" });

    const approved = await api.call("POST", `/api/approvals/${approval.id}/approve`, {
      role: "operator",
      body: { comment: "fine" },
    });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: "approved", comment: "fine" });
    const again = await api.call("POST", `/api/approvals/${approval.id}/reject`, { role: "operator", body: {} });
    expect(again.status).toBe(409);
    const run = await finished(started.body.runId);
    expect(run.status).toBe("succeeded");
    expect(run.output).toBeDefined();
  });

  it("delegates a pending approval to another role", async () => {
    const wf = await createWorkflow(approvalWorkflow());
    const started = await api.call("POST", `/api/workflows/${wf.id}/execute`, { role: "operator", body: {} });
    await api.runtime.waitForRun(started.body.runId, { timeoutMs: 20_000 });
    const id = (await pendingApproval(started.body.runId))[0].id;
    const delegated = await api.call("POST", `/api/approvals/${id}/delegate`, {
      role: "operator",
      body: { toRole: "admin" },
    });
    expect(delegated.status).toBe(200);
    expect(delegated.body.approverRole).toBe("admin");
    // Now only an admin may decide it.
    expect((await api.call("POST", `/api/approvals/${id}/reject`, { role: "operator", body: {} })).status).toBe(403);
    expect((await api.call("POST", `/api/approvals/${id}/reject`, { role: "admin", body: {} })).status).toBe(200);
    expect((await finished(started.body.runId)).status).toBe("succeeded");
  });
});

describe("runs", () => {
  it("streams a run's events as Server-Sent Events and ends with the terminal state", async () => {
    const wf = await createWorkflow(approvalWorkflow());
    const started = await api.call("POST", `/api/workflows/${wf.id}/execute`, { role: "operator", body: {} });
    const runId = started.body.runId as string;
    await api.runtime.waitForRun(runId, { timeoutMs: 20_000 });
    const response = await fetch(`${api.url}/api/runs/${runId}/events`, {
      headers: { authorization: `Bearer ${api.keys.viewer}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const pending = await pendingApproval(runId);
    await api.call("POST", `/api/approvals/${pending[0].id}/approve`, { role: "operator", body: {} });
    const text = await response.text();
    const events = [...text.matchAll(/^event: (.+)$/gm)].map((m) => m[1]);
    expect(events[0]).toBe("snapshot");
    expect(events).toContain("node.finished");
    expect(events.at(-2)).toBe("run.finished");
    expect(events.at(-1)).toBe("end");
    const last = text.trim().split("\n").at(-1) ?? "";
    expect(JSON.parse(last.replace(/^data: /, ""))).toMatchObject({ id: runId, status: "succeeded" });
  });

  it("pauses a running run after its node in flight, and resumes it", async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let called: () => void = () => {};
    const reached = new Promise<void>((resolve) => {
      called = resolve;
    });
    const slow = createHttpServer(async (_req, res) => {
      called();
      await held;
      res.setHeader("content-type", "application/json");
      res.end('{"ok":true}');
    });
    await new Promise<void>((resolve) => slow.listen(0, "127.0.0.1", resolve));
    try {
      const port = (slow.address() as AddressInfo).port;
      const wf = await createWorkflow(slowCallWorkflow(`http://127.0.0.1:${port}/slow`));
      const started = await api.call("POST", `/api/workflows/${wf.id}/execute`, { role: "operator", body: {} });
      const runId = started.body.runId as string;
      await reached;
      const paused = await api.call("POST", `/api/runs/${runId}/pause`, { role: "operator" });
      expect(paused.status, JSON.stringify(paused.body)).toBe(200);
      release();
      // A paused run is neither terminal nor waiting: poll the API until it reports paused.
      let status = "";
      for (let i = 0; i < 200 && status !== "paused"; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        status = (await api.call("GET", `/api/runs/${runId}`, { role: "viewer" })).body.status;
      }
      expect(status).toBe("paused");
      const detail = await api.call("GET", `/api/runs/${runId}`, { role: "viewer" });
      expect(detail.body.steps.map((s: { nodeId: string }) => s.nodeId)).not.toContain("after");

      const resumed = await api.call("POST", `/api/runs/${runId}/resume`, { role: "operator" });
      expect(resumed.status, JSON.stringify(resumed.body)).toBe(200);
      expect((await finished(runId)).status).toBe("succeeded");
    } finally {
      release();
      slow.closeAllConnections();
      slow.close();
    }
  });
});

describe("waits resumed through the API", () => {
  it("resumes a node waiting for a webhook call with the body, once, and refuses other waits", async () => {
    const wf = await createWorkflow(webhookWaitWorkflow());
    const started = await api.call("POST", `/api/workflows/${wf.id}/execute`, { role: "operator", body: {} });
    const runId = started.body.runId as string;
    expect((await api.runtime.waitForRun(runId, { timeoutMs: 20_000 })).status).toBe("waiting");

    const path = `/api/runs/${runId}/nodes/callback/resume`;
    expect((await api.call("POST", path, { role: "editor", body: { ok: true } })).status).toBe(403);
    const unknown = await api.call("POST", `/api/runs/${runId}/nodes/nope/resume`, { role: "operator", body: {} });
    expect(unknown.status).toBe(404);
    const resumed = await api.call("POST", path, { role: "operator", body: { scan: "done", findings: 3 } });
    expect(resumed.status, JSON.stringify(resumed.body)).toBe(202);
    expect(resumed.body.id).toBe(runId);
    const run = await finished(runId);
    expect(run.status).toBe("succeeded");
    const callback = run.steps.filter((s: { nodeId: string }) => s.nodeId === "callback").at(-1);
    expect(callback.output).toEqual({ received: { scan: "done", findings: 3 } });

    const again = await api.call("POST", path, { role: "operator", body: {} });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("WEFT_E_RUN_NOT_WAITING");
  });

  it("answers 409 for a node that waits for an approval", async () => {
    const wf = await createWorkflow(approvalWorkflow());
    const started = await api.call("POST", `/api/workflows/${wf.id}/execute`, { role: "operator", body: {} });
    const runId = started.body.runId as string;
    await api.runtime.waitForRun(runId, { timeoutMs: 20_000 });
    const refused = await api.call("POST", `/api/runs/${runId}/nodes/ask/resume`, { role: "operator", body: {} });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: "WEFT_E_CONFLICT", details: { waitKind: "approval" } });
    await api.call("POST", `/api/runs/${runId}/cancel`, { role: "operator" });
  });
});

describe("schedule triggers", () => {
  it("sets a new schedule's first due time and refuses an invalid cron expression", async () => {
    const wf = await createWorkflow(branchingWorkflow("Scheduled"));
    const created = await api.call("POST", `/api/workflows/${wf.id}/triggers`, {
      role: "editor",
      body: { kind: "schedule", cron: "0 7 * * 1-5", timezone: "Europe/Paris" },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const next = new Date(created.body.nextRunAt);
    expect(next.getTime()).toBeGreaterThan(Date.now());
    expect([5, 6]).toContain(next.getUTCHours());
    expect(created.body.lastRunAt).toBeNull();

    const bad = await api.call("POST", `/api/workflows/${wf.id}/triggers`, {
      role: "editor",
      body: { kind: "schedule", cron: "every morning" },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.issues[0]).toMatchObject({ in: "body", path: ["cron"] });
    const zone = await api.call("POST", `/api/workflows/${wf.id}/triggers`, {
      role: "editor",
      body: { kind: "schedule", cron: "0 7 * * *", timezone: "Mars/Olympus" },
    });
    expect(zone.status).toBe(400);
    expect(zone.body.error.details.issues[0]).toMatchObject({ path: ["timezone"] });
  });
});

describe("webhooks", () => {
  it("starts a run from a signed call and refuses bad signatures, stale timestamps and replays", async () => {
    const wf = await createWorkflow(branchingWorkflow("Hooked"));
    await api.call("POST", `/api/workflows/${wf.id}/publish`, { role: "editor", body: {} });
    const trigger = await api.call("POST", `/api/workflows/${wf.id}/triggers`, {
      role: "editor",
      body: { kind: "webhook" },
    });
    expect(trigger.status).toBe(201);
    expect(trigger.body.secret).toMatch(/\S{16,}/);
    const listed = await api.call("GET", `/api/workflows/${wf.id}/triggers`, { role: "viewer" });
    expect(JSON.stringify(listed.body)).not.toContain(trigger.body.secret);

    const raw = JSON.stringify({ severity: "low", host: "db-01" });
    const now = Math.floor(Date.now() / 1000);
    const headers = (ts: number, secret = trigger.body.secret as string) => ({
      "content-type": "application/json",
      "x-weft-timestamp": String(ts),
      "x-weft-signature": signWebhook(secret, ts, raw),
    });
    const hook = `/api/hooks/${trigger.body.id}`;
    expect((await api.call("POST", hook, { role: "none", raw, headers: headers(now, "wrong") })).status).toBe(401);
    expect((await api.call("POST", hook, { role: "none", raw, headers: headers(now - 3600) })).status).toBe(401);
    expect((await api.call("POST", hook, { role: "none", raw })).status).toBe(401);

    const accepted = await api.call("POST", hook, { role: "none", raw, headers: headers(now) });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
    const replay = await api.call("POST", hook, { role: "none", raw, headers: headers(now) });
    expect(replay.status).toBe(409);
    expect(replay.body.error.code).toBe("WEFT_E_WEBHOOK_REPLAY");
    const run = await finished(accepted.body.runId);
    expect(run).toMatchObject({
      status: "succeeded",
      triggerKind: "webhook",
      input: { method: "POST", query: {}, body: { severity: "low", host: "db-01" } },
    });
  });
});

describe("credentials and API keys", () => {
  it("stores credentials write-only and deletes them", async () => {
    const created = await api.call("POST", "/api/credentials", {
      body: { name: "ops-token", type: "http.bearer", values: { token: "s3cr3t-value" } },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(JSON.stringify(created.body)).not.toContain("s3cr3t-value");
    const list = await api.call("GET", "/api/credentials", { role: "editor" });
    expect(list.body.items.map((c: { name: string }) => c.name)).toContain("ops-token");
    expect(JSON.stringify(list.body)).not.toContain("s3cr3t-value");
    expect((await api.call("DELETE", "/api/credentials/ops-token")).status).toBe(204);
    expect((await api.call("DELETE", "/api/credentials/ops-token")).status).toBe(404);
  });

  it("creates an API key that works at once and stops working when revoked", async () => {
    const created = await api.call("POST", "/api/api-keys", { body: { name: "ci", role: "viewer" } });
    expect(created.status).toBe(201);
    const key = created.body.key as string;
    expect((await api.call("GET", "/api/workflows", { key })).status).toBe(200);
    const listed = await api.call("GET", "/api/api-keys");
    expect(JSON.stringify(listed.body)).not.toContain(key);
    expect((await api.call("DELETE", `/api/api-keys/${created.body.id}`)).status).toBe(204);
    expect((await api.call("GET", "/api/workflows", { key })).status).toBe(401);
  });

  it("audits writes with the acting key", async () => {
    const before = await api.store.audit.list({ action: "workflow.create" });
    await createWorkflow(branchingWorkflow("Audited"));
    const after = await api.store.audit.list({ action: "workflow.create" });
    expect(after.total).toBe(before.total + 1);
    expect(after.items.some((e) => e.actor.startsWith("apikey:"))).toBe(true);
  });
});

// A signed webhook call through a real server reaches the workflow as `{ method, headers, query, body }`,
// the envelope trigger.webhook outputs and `$input` is; secrets in headers never reach the run.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "../__fixtures__/api.ts";
import { signWebhook } from "./triggers.ts";

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api?.close();
});

/** webhook → condition on the trigger node's output → map reading `$input`. */
function alertWorkflow() {
  return {
    name: "Scanner alerts",
    nodes: [
      { id: "hook", type: "trigger.webhook", data: { config: { method: "POST" } } },
      {
        id: "critical",
        type: "condition.if",
        data: { config: { condition: '$nodes.hook.output.body.severity = "critical"' } },
      },
      {
        id: "read",
        type: "transform.map",
        data: {
          config: {
            expression:
              "{ 'severity': $input.body.severity, 'source': $input.query.source, 'agent': $input.headers.'x-scanner' }",
          },
        },
      },
    ],
    edges: [
      { id: "e1", source: "hook", target: "critical" },
      { id: "e2", source: "critical", target: "read", sourceHandle: "true" },
    ],
  };
}

async function publishedAlertWorkflow(): Promise<string> {
  const created = await api.call("POST", "/api/workflows", { role: "editor", body: { definition: alertWorkflow() } });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const published = await api.call("POST", `/api/workflows/${created.body.id}/publish`, { role: "editor", body: {} });
  expect(published.status, JSON.stringify(published.body)).toBe(201);
  return created.body.id as string;
}

async function finishedSteps(runId: string) {
  await api.runtime.waitForRun(runId, { timeoutMs: 20_000, terminal: true });
  const run = await api.call("GET", `/api/runs/${runId}`, { role: "viewer" });
  expect(run.status).toBe(200);
  const output = (nodeId: string) =>
    run.body.steps.find((s: { nodeId: string; status: string }) => s.nodeId === nodeId && s.status === "succeeded")
      ?.output;
  return { run: run.body, output };
}

describe("POST /api/hooks/:triggerId", () => {
  it("hands the workflow the body, headers (no secrets) and query of a signed call", async () => {
    const workflowId = await publishedAlertWorkflow();
    const trigger = await api.call("POST", `/api/workflows/${workflowId}/triggers`, {
      role: "editor",
      body: { kind: "webhook" },
    });
    expect(trigger.status).toBe(201);
    const secret = trigger.body.secret as string;

    const raw = JSON.stringify({ severity: "critical", host: "web-01" });
    const ts = Math.floor(Date.now() / 1000);
    const signature = signWebhook(secret, ts, raw);
    const accepted = await api.call("POST", `/api/hooks/${trigger.body.id}?source=scanner&tag=a&tag=b`, {
      // "admin" makes the test client send an Authorization header, which must be withheld too.
      role: "admin",
      raw,
      headers: {
        "content-type": "application/json",
        "X-Scanner": "nessus",
        cookie: "session=abc",
        "x-weft-timestamp": String(ts),
        "x-weft-signature": signature,
      },
    });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);

    const { run, output } = await finishedSteps(accepted.body.runId);
    expect(run).toMatchObject({ status: "succeeded", triggerKind: "webhook", triggerId: trigger.body.id });
    const envelope = output("hook");
    expect(envelope).toMatchObject({
      method: "POST",
      headers: { "content-type": "application/json", "x-scanner": "nessus" },
      query: { source: "scanner", tag: ["a", "b"] },
      body: { severity: "critical", host: "web-01" },
    });
    // `$input` is the same envelope as the trigger node's output.
    expect(run.input).toEqual(envelope);
    expect(output("read")).toEqual({ severity: "critical", source: "scanner", agent: "nessus" });

    const stored = JSON.stringify(run);
    for (const secretText of [signature, secret, api.keys.admin, "session=abc"])
      expect(stored).not.toContain(secretText);
    const headerNames = Object.keys(envelope.headers);
    expect(headerNames.every((name) => name === name.toLowerCase())).toBe(true);
    for (const withheld of ["authorization", "cookie", "x-weft-signature", "x-weft-timestamp"])
      expect(headerNames).not.toContain(withheld);
  });

  it("gives an empty body as null, and a run started by hand its whole input as the body", async () => {
    const workflowId = await publishedAlertWorkflow();
    const trigger = await api.call("POST", `/api/workflows/${workflowId}/triggers`, {
      role: "editor",
      body: { kind: "webhook" },
    });
    const ts = Math.floor(Date.now() / 1000);
    const empty = await api.call("POST", `/api/hooks/${trigger.body.id}`, {
      role: "none",
      raw: "",
      headers: { "x-weft-timestamp": String(ts), "x-weft-signature": signWebhook(trigger.body.secret, ts, "") },
    });
    expect(empty.status, JSON.stringify(empty.body)).toBe(202);
    const emptyRun = await finishedSteps(empty.body.runId);
    expect(emptyRun.output("hook")).toMatchObject({ method: "POST", query: {}, body: null });

    const byHand = await api.call("POST", `/api/workflows/${workflowId}/execute`, {
      role: "operator",
      body: { input: { severity: "critical" } },
    });
    expect(byHand.status, JSON.stringify(byHand.body)).toBe(202);
    const handRun = await finishedSteps(byHand.body.runId);
    expect(handRun.output("hook")).toEqual({ method: "POST", headers: {}, query: {}, body: { severity: "critical" } });
    // `$input` of a run started by hand is that input itself, not an envelope.
    expect(handRun.run.input).toEqual({ severity: "critical" });
    expect(handRun.output("read")).toEqual({});
  });
});

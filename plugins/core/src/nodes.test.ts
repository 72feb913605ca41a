import type { NodeDefinition } from "@weft/sdk";
import { expectManifestFresh, runExamples, runNode } from "@weft/sdk/testing";
import { describe, expect, it } from "vitest";
import plugin, {
  approvalRequest,
  delay,
  filter,
  ifCondition,
  map,
  nextFire,
  noop,
  scheduleTrigger,
  webhookTrigger,
} from "./index.ts";

describe("@weft/plugin-core", () => {
  it.each(plugin.nodes.map((node) => [node.type, node] as [string, NodeDefinition]))(
    "%s runs its documented examples",
    async (_type, node) => {
      await runExamples(node);
    },
  );

  it("has a fresh weft.manifest.json", () => {
    expectManifestFresh(plugin, new URL("../weft.manifest.json", import.meta.url));
  });
});

describe("trigger.webhook", () => {
  it("outputs the request the runtime passes as run input, and copes with a bare input", async () => {
    const posted = await runNode(webhookTrigger, {
      config: {},
      input: { method: "POST", headers: { "x-sig": "1" }, query: { a: "b" }, body: [1] },
    });
    expect(posted.outcome).toMatchObject({
      output: { method: "POST", headers: { "x-sig": "1" }, query: { a: "b" }, body: [1] },
    });
    const bare = await runNode(webhookTrigger, { config: {}, input: "hello" });
    expect(bare.outcome).toMatchObject({ output: { method: "POST", headers: {}, query: {}, body: "hello" } });
  });

  it("puts a plain object run input (API execute, weft run --input) in body, whole", async () => {
    const alert = { severity: "critical" };
    const plain = await runNode(webhookTrigger, { config: { method: "PUT" }, input: alert });
    expect(plain.outcome).toEqual({
      status: "succeeded",
      port: "default",
      output: { method: "PUT", headers: {}, query: {}, body: alert },
    });
    // Envelope-like but not exactly the envelope: still the body, never emptied.
    const partial = { method: "POST", body: { severity: "low" } };
    const near = await runNode(webhookTrigger, { config: {}, input: partial });
    expect(near.outcome).toMatchObject({ output: { headers: {}, query: {}, body: partial } });
    const extra = { method: "POST", headers: {}, query: {}, body: null, more: 1 };
    const withExtra = await runNode(webhookTrigger, { config: {}, input: extra });
    expect(withExtra.outcome).toMatchObject({ output: { body: extra } });
  });
});

describe("trigger.schedule", () => {
  it("refuses an invalid cron expression or time zone with the field named", async () => {
    const cron = await runNode(scheduleTrigger, { config: { cron: "61 * * * *" } });
    expect(cron.validation).toEqual([expect.objectContaining({ path: expect.arrayContaining(["cron"]) })]);
    const zone = await runNode(scheduleTrigger, { config: { cron: "0 * * * *", timezone: "Mars/Olympus" } });
    expect(zone.validation).toEqual([expect.objectContaining({ path: expect.arrayContaining(["timezone"]) })]);
  });

  it("computes the next fire time in the schedule's time zone", () => {
    const next = nextFire({ cron: "0 9 * * *", timezone: "America/New_York" }, new Date("2026-07-01T12:00:00Z"));
    expect(next?.toISOString()).toBe("2026-07-01T13:00:00.000Z");
  });
});

describe("control.delay", () => {
  it("suspends until a time given as a duration or a date, then outputs when it resumed", async () => {
    const before = Date.now();
    const waiting = await runNode(delay, { config: { durationMs: 60_000 } });
    expect(waiting.outcome.status).toBe("suspended");
    const wait = waiting.outcome.status === "suspended" ? waiting.outcome.wait : undefined;
    expect(wait?.kind).toBe("delay");
    expect(Date.parse(wait?.until ?? "")).toBeGreaterThanOrEqual(before + 60_000);

    const until = await runNode(delay, { config: { until: "2030-01-01T00:00:00Z" } });
    expect(until.outcome).toEqual({ status: "suspended", wait: { kind: "delay", until: "2030-01-01T00:00:00.000Z" } });

    const resumed = await runNode(delay, { config: { durationMs: 10 }, resume: null });
    expect(resumed.outcome).toMatchObject({ status: "succeeded", output: { resumedAt: expect.any(String) } });
  });
});

describe("approval.request", () => {
  it("waits for an approver with the request's details, then leaves on the decision's port", async () => {
    const waiting = await runNode(approvalRequest, {
      config: {
        title: "Isolate {{ $input.host }}?",
        approverRole: "admin",
        approverUser: "bob",
        expiresInMs: 3_600_000,
      },
      input: { host: "web-01" },
    });
    expect(waiting.outcome).toMatchObject({
      status: "suspended",
      wait: {
        kind: "approval",
        until: expect.any(String),
        data: { title: "Isolate web-01?", description: "", approverRole: "admin", approverUser: "bob" },
      },
    });
    const rejected = await runNode(approvalRequest, {
      config: { title: "t" },
      resume: { decision: "rejected", by: "carol" },
    });
    expect(rejected.outcome).toEqual({
      status: "succeeded",
      port: "rejected",
      output: { decision: "rejected", by: "carol", comment: null },
    });
  });

  it("fails, not retryable, when the approval expired undecided", async () => {
    const { outcome } = await runNode(approvalRequest, {
      config: { title: "t" },
      resume: { decision: "expired", by: "system" },
    });
    expect(outcome).toMatchObject({
      status: "failed",
      error: { code: "WEFT_E_APPROVAL_EXPIRED", retryable: false },
    });
  });

  it("fails a resume without a valid decision", async () => {
    const { outcome } = await runNode(approvalRequest, { config: { title: "t" }, resume: { decision: "maybe" } });
    expect(outcome).toMatchObject({ status: "failed", error: { code: "WEFT_E_APPROVAL_DECISION_INVALID" } });
  });
});

describe("transform and condition nodes", () => {
  const findings = [
    { id: 1, severity: "critical", host: "web-01" },
    { id: 2, severity: "low", host: "db-01" },
    { id: 3, severity: "critical", host: "db-01" },
  ];

  it("filters a templated array with a JSONata predicate", async () => {
    const { outcome } = await runNode(filter, {
      config: { items: "{{ $nodes.scan.output.findings }}", expression: 'severity = "critical" and host = "db-01"' },
      inputs: { scan: { findings } },
    });
    expect(outcome).toMatchObject({ output: { items: [findings[2]], count: 1 } });
  });

  it("reports a broken expression as WEFT_E_EXPRESSION, not a crash", async () => {
    const { outcome } = await runNode(filter, { config: { items: [1], expression: "severity = " } });
    expect(outcome).toMatchObject({ status: "failed", error: { code: "WEFT_E_EXPRESSION", retryable: false } });
  });

  it("maps upstream outputs with JSONata", async () => {
    const { outcome } = await runNode(map, {
      config: { expression: "$distinct($nodes.scan.output.findings.host)" },
      inputs: { scan: { findings } },
    });
    expect(outcome).toMatchObject({ output: ["web-01", "db-01"] });
    const nothing = await runNode(map, { config: { expression: "missing" }, input: {} });
    expect(nothing.outcome).toMatchObject({ status: "succeeded", output: null });
  });

  it("routes on a condition, and fails one that is not boolean", async () => {
    const yes = await runNode(ifCondition, {
      config: { condition: "{{ $count($input.items) > 0 }}" },
      input: { items: [1] },
    });
    expect(yes.outcome).toMatchObject({ port: "true", output: { result: true } });
    const bad = await runNode(ifCondition, { config: { condition: "items" }, input: { items: [1] } });
    expect(bad.outcome).toMatchObject({ status: "failed", error: { code: "WEFT_E_CONDITION_NOT_BOOLEAN" } });
  });

  it("passes upstream outputs on when no value is set", async () => {
    const { outcome } = await runNode(noop, { config: {}, inputs: { a: 1, b: { c: 2 } } });
    expect(outcome).toMatchObject({ output: { a: 1, b: { c: 2 } } });
  });
});

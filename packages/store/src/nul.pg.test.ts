// NUL characters (U+0000): PostgreSQL's text and jsonb cannot hold them, and a NUL in a text
// parameter broke the wire protocol (SQLSTATE 08P01) instead of failing as bad input. Every write
// (and every lookup by text) refuses them with a ValidationError naming the field, and writes nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { definition, openTestStore } from "./__fixtures__/store.ts";
import { findNul, type Store, ValidationError } from "./index.ts";

let store: Store;
let workflowId = "";
beforeAll(async () => {
  store = await openTestStore();
  workflowId = (await store.workflows.create({ name: "Triage", definition: definition() })).id;
});
afterAll(async () => {
  await store.close();
});

/** Expects a ValidationError whose details name `path` (field first). */
async function refusedAt(promise: Promise<unknown>, path: (string | number)[]): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationError);
  expect((error as ValidationError).details).toMatchObject({ field: path[0], path });
  expect((error as ValidationError).message).toContain("NUL");
}

describe("findNul", () => {
  it("finds the character in strings, arrays, values and keys, and nowhere else", () => {
    expect(findNul("a\u0000")).toEqual([]);
    expect(findNul({ a: [1, { b: "x\u0000" }] })).toEqual(["a", 1, "b"]);
    expect(findNul({ "k\u0000": 1 })).toEqual(["k\u0000"]);
    expect(findNul({ a: "fine", n: 1, d: new Date(), z: null })).toBeUndefined();
  });
});

describe("writes with a NUL character", () => {
  it("refuses workflows, drafts and published versions", async () => {
    await refusedAt(store.workflows.create({ name: "a\u0000" }), ["name"]);
    await refusedAt(store.workflows.create({ name: "ok", description: "\u0000" }), ["description"]);
    await refusedAt(store.workflows.update(workflowId, { tags: ["x", "y\u0000"] }), ["tags", 1]);
    await refusedAt(store.workflows.update(workflowId, { definition: { ...definition(), description: "d\u0000" } }), [
      "definition",
      "description",
    ]);
    await refusedAt(store.workflows.publish(workflowId, { definition: definition(), notes: "n\u0000" }), ["notes"]);
    await refusedAt(store.workflows.list({ text: "\u0000" }), ["text"]);
    expect((await store.workflows.list()).total).toBe(1);
    expect(await store.workflows.get(workflowId)).toMatchObject({ status: "draft", latestVersion: null, tags: [] });
    expect(await store.workflows.listVersions(workflowId)).toEqual([]);
  });

  it("refuses triggers, and finds no trigger for such an event name", async () => {
    await refusedAt(store.triggers.create({ workflowId, kind: "event", eventName: "a\u0000" }), ["eventName"]);
    await refusedAt(store.triggers.create({ workflowId, kind: "webhook", config: { "k\u0000": 1 } }), [
      "config",
      "k\u0000",
    ]);
    expect(await store.triggers.listForWorkflow(workflowId)).toEqual([]);
    expect(await store.triggers.forEvent("a\u0000")).toEqual([]);
  });

  it("refuses run input and run filters (what `weft run --input` and webhooks hand over)", async () => {
    await store.workflows.publish(workflowId, { definition: definition() });
    await refusedAt(store.runs.create({ workflowId, input: { host: "web\u0000" } }), ["input", "host"]);
    await refusedAt(store.runs.create({ workflowId, triggerKind: "\u0000" }), ["triggerKind"]);
    await refusedAt(store.runs.list({ triggerKind: "a\u0000" }), ["triggerKind"]);
    expect((await store.runs.list()).total).toBe(0);
  });

  it("refuses approvals, notifications, audit events, credentials and API keys", async () => {
    const run = await store.runs.create({ workflowId });
    await refusedAt(store.approvals.create({ runId: run.id, nodeId: "ask", title: "t\u0000" }), ["title"]);
    const approval = await store.approvals.create({ runId: run.id, nodeId: "ask" });
    await refusedAt(store.approvals.decide(approval.id, { decision: "approved", by: "a", comment: "\u0000" }), [
      "comment",
    ]);
    await refusedAt(store.approvals.delegate(approval.id, { by: "a", toUser: "b\u0000" }), ["approverUser"]);
    expect(await store.approvals.get(approval.id)).toMatchObject({ status: "pending", approverUser: null });

    await refusedAt(store.notifications.create({ channel: "email", recipient: "a\u0000" }), ["recipient"]);
    await refusedAt(store.audit.record({ actor: "x", action: "y", target: "t:1", after: { v: "\u0000" } }), [
      "after",
      "v",
    ]);
    await refusedAt(store.credentials.create({ name: "c\u0000", type: "http.bearer", values: {} }), ["name"]);
    await refusedAt(store.apiKeys.create({ name: "k\u0000", role: "viewer" }), ["name"]);
    expect((await store.notifications.list()).total).toBe(0);
    expect((await store.audit.list()).total).toBe(0);
    expect(await store.credentials.list()).toEqual([]);
    expect(await store.apiKeys.list()).toEqual([]);
    // Values are sealed before they are stored, so a NUL inside them is kept as it was given.
    await store.credentials.create({ name: "token", type: "http.bearer", values: { token: "a\u0000b" } });
    expect(await store.credentials.resolve("token")).toMatchObject({ values: { token: "a\u0000b" } });
  });
});

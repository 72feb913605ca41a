// Who may decide and delegate an approval: the user it is addressed to (or an admin), else anyone
// with at least its approver role. A refusal changes nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "./__fixtures__/api.ts";
import { approvalWorkflow } from "./__fixtures__/workflows.ts";

let api: TestApi;
/** Operator keys named after the people they belong to. */
const people: Record<"alice" | "bob", { key: string; id: string }> = {} as never;
beforeAll(async () => {
  api = await startTestApi();
  for (const name of ["alice", "bob"] as const) {
    const created = await api.store.apiKeys.create({ name, role: "operator" });
    people[name] = { key: created.key, id: created.record.id };
  }
});
afterAll(async () => {
  await api?.close();
});

/** Starts a run of an approval workflow and returns its pending approval. */
async function pendingApproval(approver: { approverRole?: string; approverUser?: string }) {
  const created = await api.call("POST", "/api/workflows", {
    role: "editor",
    body: { definition: approvalWorkflow(approver) },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const started = await api.call("POST", `/api/workflows/${created.body.id}/execute`, { role: "operator", body: {} });
  expect(started.status).toBe(202);
  const runId = started.body.runId as string;
  for (let i = 0; i < 100; i++) {
    const [approval] = await api.store.approvals.listPending({ runId });
    if (approval) return { approval, runId };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`run ${runId} has no pending approval`);
}

const as = (who: "alice" | "bob") => ({ key: people[who].key });

describe("approvals addressed to a user", () => {
  it("only that user decides it; other operators get 403 and nothing changes", async () => {
    const { approval, runId } = await pendingApproval({ approverUser: "alice" });
    for (const verb of ["approve", "reject"]) {
      const refused = await api.call("POST", `/api/approvals/${approval.id}/${verb}`, { ...as("bob"), body: {} });
      expect(refused.status).toBe(403);
      expect(refused.body.error).toMatchObject({ code: "WEFT_E_FORBIDDEN", details: { approverUser: "alice" } });
    }
    const delegated = await api.call("POST", `/api/approvals/${approval.id}/delegate`, {
      ...as("bob"),
      body: { toUser: "bob" },
    });
    expect(delegated.status).toBe(403);
    expect(await api.store.approvals.get(approval.id)).toMatchObject({ status: "pending", approverUser: "alice" });

    const approved = await api.call("POST", `/api/approvals/${approval.id}/approve`, {
      ...as("alice"),
      body: { comment: "mine" },
    });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: "approved", decidedBy: `apikey:${people.alice.id}` });
    await api.runtime.waitForRun(runId, { timeoutMs: 20_000, terminal: true });
  });

  it("names the user by key name or audit identity, and admins may decide it", async () => {
    const byIdentity = await pendingApproval({ approverUser: `apikey:${people.bob.id}` });
    expect(
      (await api.call("POST", `/api/approvals/${byIdentity.approval.id}/approve`, { ...as("alice"), body: {} })).status,
    ).toBe(403);
    expect(
      (await api.call("POST", `/api/approvals/${byIdentity.approval.id}/approve`, { ...as("bob"), body: {} })).status,
    ).toBe(200);

    const forAdmin = await pendingApproval({ approverUser: "carol" });
    expect(
      (await api.call("POST", `/api/approvals/${forAdmin.approval.id}/reject`, { role: "operator", body: {} })).status,
    ).toBe(403);
    expect(
      (await api.call("POST", `/api/approvals/${forAdmin.approval.id}/reject`, { role: "admin", body: {} })).status,
    ).toBe(200);
  });

  it("delegating to a user hands the decision over; delegating to a role takes it from the user", async () => {
    const { approval } = await pendingApproval({ approverUser: "alice" });
    const toBob = await api.call("POST", `/api/approvals/${approval.id}/delegate`, {
      ...as("alice"),
      body: { toUser: "bob" },
    });
    expect(toBob.status).toBe(200);
    expect(toBob.body).toMatchObject({ approverUser: "bob", delegatedBy: `apikey:${people.alice.id}` });
    // Alice gave it away: she can no longer decide it.
    expect((await api.call("POST", `/api/approvals/${approval.id}/approve`, { ...as("alice"), body: {} })).status).toBe(
      403,
    );

    const toRole = await api.call("POST", `/api/approvals/${approval.id}/delegate`, {
      ...as("bob"),
      body: { toRole: "operator" },
    });
    expect(toRole.status).toBe(200);
    expect(toRole.body).toMatchObject({ approverUser: null, approverRole: "operator" });
    expect((await api.call("POST", `/api/approvals/${approval.id}/approve`, { ...as("alice"), body: {} })).status).toBe(
      200,
    );
  });
});

describe("approvals addressed to a role", () => {
  it("need at least that role to decide or delegate", async () => {
    const { approval } = await pendingApproval({ approverRole: "admin" });
    expect((await api.call("POST", `/api/approvals/${approval.id}/approve`, { ...as("alice"), body: {} })).status).toBe(
      403,
    );
    const delegated = await api.call("POST", `/api/approvals/${approval.id}/delegate`, {
      ...as("alice"),
      body: { toRole: "operator" },
    });
    expect(delegated.status).toBe(403);
    expect(delegated.body.error.details).toMatchObject({ required: "admin", role: "operator" });
    expect(await api.store.approvals.get(approval.id)).toMatchObject({ status: "pending", approverRole: "admin" });
    expect((await api.call("POST", `/api/approvals/${approval.id}/approve`, { role: "admin", body: {} })).status).toBe(
      200,
    );
  });
});

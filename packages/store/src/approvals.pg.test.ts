import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { definition, openTestStore } from "./__fixtures__/store.ts";
import { ConflictError, NotFoundError, type Store, ValidationError } from "./index.ts";

describe("approvals", () => {
  let store: Store;
  let runId = "";
  beforeAll(async () => {
    store = await openTestStore();
    const wf = await store.workflows.create({ name: "Patch approval" });
    await store.workflows.publish(wf.id, { definition: definition() });
    runId = (await store.runs.create({ workflowId: wf.id })).id;
  });
  afterAll(async () => {
    await store.close();
  });

  it("lists pending approvals by role, soonest expiry first", async () => {
    const later = await store.approvals.create({
      runId,
      nodeId: "approve-1",
      approverRole: "secops",
      expiresAt: new Date(Date.now() + 3_600_000),
    });
    const sooner = await store.approvals.create({
      runId,
      nodeId: "approve-2",
      approverRole: "secops",
      expiresAt: new Date(Date.now() + 60_000),
      title: "Deploy patch",
      details: { hosts: 4 },
    });
    await store.approvals.create({ runId, nodeId: "approve-3", approverRole: "it" });
    const pending = await store.approvals.listPending({ role: "secops" });
    expect(pending.map((a) => a.id)).toEqual([sooner.id, later.id]);
    expect(await store.approvals.get(sooner.id)).toMatchObject({ title: "Deploy patch", details: { hosts: 4 } });
  });

  it("of concurrent decisions exactly one wins; the others get a ConflictError", async () => {
    const approval = await store.approvals.create({ runId, nodeId: "race", approverRole: "secops" });
    const deciders = Array.from({ length: 8 }, (_, i) =>
      store.approvals.decide(approval.id, {
        decision: i % 2 ? "approved" : "rejected",
        by: `user-${i}`,
        comment: `decided by ${i}`,
      }),
    );
    const results = await Promise.allSettled(deciders);
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r) => r.status === "rejected");
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(7);
    for (const r of lost) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
    const winner = (won[0] as PromiseFulfilledResult<Awaited<(typeof deciders)[number]>>).value;
    const stored = await store.approvals.get(approval.id);
    expect(stored).toMatchObject({ status: winner.status, decidedBy: winner.decidedBy, comment: winner.comment });
    expect(stored?.decidedAt).not.toBeNull();
  });

  it("a decision after expiry is a conflict; bad input and unknown ids are typed errors", async () => {
    const expired = await store.approvals.create({ runId, nodeId: "late", expiresAt: new Date(Date.now() - 1000) });
    const error = await store.approvals.decide(expired.id, { decision: "approved", by: "bob" }).catch((e) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.details.status).toBe("expired");
    const open = await store.approvals.create({ runId, nodeId: "typo" });
    await expect(
      store.approvals.decide(open.id, { decision: "maybe" as "approved", by: "bob" }),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(
      store.approvals.decide("00000000-0000-4000-8000-000000000000", { decision: "approved", by: "bob" }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it("delegation moves a pending approval to another approver and is refused once decided", async () => {
    const approval = await store.approvals.create({ runId, nodeId: "delegate", approverRole: "secops" });
    const moved = await store.approvals.delegate(approval.id, { by: "alice", toUser: "carol", toRole: "it" });
    expect(moved).toMatchObject({ approverUser: "carol", approverRole: "it", delegatedBy: "alice" });
    expect((await store.approvals.listPending({ user: "carol" })).map((a) => a.id)).toContain(approval.id);
    await store.approvals.decide(approval.id, { decision: "approved", by: "carol" });
    await expect(store.approvals.delegate(approval.id, { by: "alice", toUser: "dave" })).rejects.toBeInstanceOf(
      ConflictError,
    );
  });

  it("expired approvals escalate when they can, and expire otherwise", async () => {
    const past = new Date(Date.now() - 1000);
    const escalating = await store.approvals.create({
      runId,
      nodeId: "esc",
      approverRole: "analyst",
      escalateToRole: "manager",
      expiresAt: past,
    });
    const lapsing = await store.approvals.create({ runId, nodeId: "lapse", approverRole: "analyst", expiresAt: past });
    const escalated = await store.approvals.escalateDue();
    expect(escalated.map((a) => a.id)).toContain(escalating.id);
    expect(await store.approvals.get(escalating.id)).toMatchObject({ status: "pending", approverRole: "manager" });
    const expired = await store.approvals.expireDue();
    expect(expired.map((a) => a.id)).toContain(lapsing.id);
    expect(expired.map((a) => a.id)).not.toContain(escalating.id);
    expect((await store.approvals.get(lapsing.id))?.status).toBe("expired");
    expect((await store.approvals.listForRun(runId)).length).toBeGreaterThan(5);
  });
});

import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestStore } from "./__fixtures__/store.ts";
import { NotFoundError, type Store, ValidationError } from "./index.ts";

describe("triggers, notifications and audit", () => {
  let store: Store;
  let workflowId = "";
  beforeAll(async () => {
    store = await openTestStore();
    workflowId = (await store.workflows.create({ name: "Scheduled scan" })).id;
  });
  afterAll(async () => {
    await store.close();
  });

  it("due schedules fire once per due time across schedulers", async () => {
    const due = new Date(Date.now() - 1000);
    const schedule = await store.triggers.create({
      workflowId,
      kind: "schedule",
      cron: "0 * * * *",
      timezone: "Europe/Paris",
      nextRunAt: due,
    });
    await store.triggers.create({
      workflowId,
      kind: "schedule",
      cron: "0 0 * * *",
      nextRunAt: new Date(Date.now() + 3_600_000),
    });
    await store.triggers.create({ workflowId, kind: "schedule", cron: "* * * * *", nextRunAt: due, enabled: false });
    expect((await store.triggers.due()).map((t) => t.id)).toEqual([schedule.id]);
    const next = new Date(Date.now() + 3_600_000);
    const [first, second] = await Promise.all([
      store.triggers.advance(schedule.id, due, next),
      store.triggers.advance(schedule.id, due, next),
    ]);
    expect([first, second].sort()).toEqual([false, true]);
    expect(await store.triggers.due()).toEqual([]);
    expect((await store.triggers.get(schedule.id))?.lastRunAt).not.toBeNull();
    await expect(store.triggers.create({ workflowId, kind: "schedule" })).rejects.toBeInstanceOf(ValidationError);
  });

  it("webhook secrets are sealed at rest and returned only by the webhook lookup", async () => {
    const hook = await store.triggers.create({ workflowId, kind: "webhook", secret: "s3cr3t-webhook-value" });
    expect(hook.hasSecret).toBe(true);
    expect(JSON.stringify(hook)).not.toContain("s3cr3t");
    const client = new pg.Client({ connectionString: store.databaseUrl });
    await client.connect();
    const { rows } = await client.query("select * from triggers where id = $1", [hook.id]);
    await client.end();
    expect(JSON.stringify(rows)).not.toContain("s3cr3t");
    expect(await store.triggers.webhook(hook.id)).toMatchObject({
      secret: "s3cr3t-webhook-value",
      trigger: { id: hook.id },
    });
    const generated = await store.triggers.create({ workflowId, kind: "webhook" });
    expect((await store.triggers.webhook(generated.id))?.secret).toMatch(/^[0-9a-f]{64}$/);
    await store.triggers.update(hook.id, { enabled: false });
    expect(await store.triggers.webhook(hook.id)).toBeUndefined();
  });

  it("event triggers, listing, update and delete", async () => {
    const ev = await store.triggers.create({ workflowId, kind: "event", eventName: "asset.created" });
    expect((await store.triggers.forEvent("asset.created")).map((t) => t.id)).toEqual([ev.id]);
    const updated = await store.triggers.update(ev.id, { config: { filter: "prod" } });
    expect(updated.config).toEqual({ filter: "prod" });
    expect((await store.triggers.listForWorkflow(workflowId)).length).toBeGreaterThanOrEqual(5);
    await store.triggers.delete(ev.id);
    expect(await store.triggers.get(ev.id)).toBeUndefined();
    await expect(store.triggers.delete(ev.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("notifications move from pending to sent, failed or read", async () => {
    const n = await store.notifications.create({
      channel: "email",
      recipient: "alice",
      subject: "Approve patch",
      data: { x: 1 },
    });
    expect(n.status).toBe("pending");
    expect((await store.notifications.markSent(n.id)).sentAt).not.toBeNull();
    expect((await store.notifications.markRead(n.id)).status).toBe("read");
    const m = await store.notifications.create({ channel: "slack", recipient: "bob" });
    expect(await store.notifications.markFailed(m.id, "channel_not_found")).toMatchObject({
      status: "failed",
      error: "channel_not_found",
    });
    expect((await store.notifications.list({ recipient: "alice" })).items.map((x) => x.id)).toEqual([n.id]);
    expect((await store.notifications.get(m.id))?.channel).toBe("slack");
    await expect(store.notifications.markSent("00000000-0000-4000-8000-000000000000")).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it("audit events record before/after and list newest first with filters", async () => {
    const first = await store.audit.record({
      actor: "alice",
      action: "workflow.update",
      target: { type: "workflow", id: workflowId },
      before: { name: "a" },
      after: { name: "b" },
    });
    await store.audit.record({ actor: "bob", action: "approval.decide", target: { type: "approval", id: "x" } });
    expect(first).toMatchObject({ actor: "alice", before: { name: "a" }, after: { name: "b" } });
    const all = await store.audit.list();
    expect(all.items.map((e) => e.actor)).toEqual(["bob", "alice"]);
    expect((await store.audit.list({ targetType: "workflow", targetId: workflowId })).items).toEqual([first]);
    expect((await store.audit.list({ actor: "bob" })).total).toBe(1);
  });
});

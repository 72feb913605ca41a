// Webhook deliveries are recorded once per (trigger, signature) for every store on the database, and
// pruned once older than the retention the caller gives.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestStore } from "./__fixtures__/store.ts";
import { type Store, ValidationError } from "./index.ts";

describe("triggers.recordDelivery", () => {
  let store: Store;
  let triggerId = "";
  let otherTriggerId = "";
  beforeAll(async () => {
    store = await openTestStore();
    const workflowId = (await store.workflows.create({ name: "Hooked" })).id;
    triggerId = (await store.triggers.create({ workflowId, kind: "webhook" })).id;
    otherTriggerId = (await store.triggers.create({ workflowId, kind: "webhook" })).id;
  });
  afterAll(async () => {
    await store.close();
  });

  it("accepts a signature once per trigger, even when recorded concurrently", async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, () => store.triggers.recordDelivery(triggerId, "sha256=aa")),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await store.triggers.recordDelivery(otherTriggerId, "sha256=aa")).toBe(true);
    expect(await store.triggers.recordDelivery(triggerId, "sha256=bb")).toBe(true);
  });

  it("prunes the trigger's deliveries older than the retention, so they may be seen again", async () => {
    const start = new Date("2026-01-01T00:00:00Z");
    const later = (sec: number) => new Date(start.getTime() + sec * 1000);
    expect(await store.triggers.recordDelivery(triggerId, "sha256=old", start, 600)).toBe(true);
    expect(await store.triggers.recordDelivery(triggerId, "sha256=old", later(599), 600)).toBe(false);
    // Recording anything for the trigger past the retention clears the old row.
    expect(await store.triggers.recordDelivery(triggerId, "sha256=new", later(601), 600)).toBe(true);
    expect(await store.triggers.recordDelivery(triggerId, "sha256=old", later(602), 600)).toBe(true);
  });

  it("forgets a delivery on request, and refuses input that cannot be a delivery", async () => {
    expect(await store.triggers.recordDelivery(triggerId, "sha256=cc")).toBe(true);
    expect(await store.triggers.forgetDelivery(triggerId, "sha256=cc")).toBe(true);
    expect(await store.triggers.forgetDelivery(triggerId, "sha256=cc")).toBe(false);
    expect(await store.triggers.recordDelivery(triggerId, "sha256=cc")).toBe(true);

    await expect(store.triggers.recordDelivery("not-a-uuid", "sha256=cc")).rejects.toBeInstanceOf(ValidationError);
    await expect(store.triggers.recordDelivery(triggerId, "")).rejects.toBeInstanceOf(ValidationError);
    await expect(store.triggers.recordDelivery(triggerId, "sha256=\u0000")).rejects.toBeInstanceOf(ValidationError);
    // A trigger that does not exist (or was deleted meanwhile) has nothing to record against.
    await expect(
      store.triggers.recordDelivery("00000000-0000-4000-8000-000000000000", "sha256=cc"),
    ).rejects.toBeInstanceOf(ValidationError);
  });

  it("drops a trigger's deliveries with the trigger", async () => {
    const workflowId = (await store.workflows.create({ name: "Short-lived" })).id;
    const id = (await store.triggers.create({ workflowId, kind: "webhook" })).id;
    expect(await store.triggers.recordDelivery(id, "sha256=dd")).toBe(true);
    await store.triggers.delete(id);
    expect(await store.triggers.forgetDelivery(id, "sha256=dd")).toBe(false);
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { definition, openTestStore } from "./__fixtures__/store.ts";
import { ConflictError, NotFoundError, type Store, ValidationError } from "./index.ts";

describe("workflows", () => {
  let store: Store;
  beforeAll(async () => {
    store = await openTestStore();
  });
  afterAll(async () => {
    await store.close();
  });

  it("creates, reads, updates and lists with filters and a total", async () => {
    const a = await store.workflows.create({
      name: "Critical vuln triage",
      description: "Tenable to Jira",
      category: "vulnerability",
      tags: ["tenable", "jira"],
      owner: "alice",
    });
    await store.workflows.create({ name: "Phishing response", category: "email", tags: ["mail"] });
    await store.workflows.create({ name: "Nightly 100% scan_report", category: "vulnerability", status: "archived" });
    expect(a).toMatchObject({ status: "draft", latestVersion: null, tags: ["tenable", "jira"] });
    expect(await store.workflows.get(a.id)).toEqual(a);

    expect((await store.workflows.list({ category: "vulnerability" })).total).toBe(2);
    expect((await store.workflows.list({ tag: "jira" })).items.map((w) => w.id)).toEqual([a.id]);
    expect((await store.workflows.list({ text: "TO JIRA" })).items.map((w) => w.id)).toEqual([a.id]);
    expect((await store.workflows.list({ text: "100%" })).total).toBe(1);
    expect((await store.workflows.list({ status: "archived" })).total).toBe(1);
    const page = await store.workflows.list({ limit: 2 });
    expect(page.items).toHaveLength(2);
    expect(page.total).toBe(3);

    const updated = await store.workflows.update(a.id, { description: "Tenable to Jira and Slack", tags: ["slack"] });
    expect(updated).toMatchObject({ description: "Tenable to Jira and Slack", tags: ["slack"], name: a.name });
    await expect(store.workflows.update(a.id, { status: "deleted" as "draft" })).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(store.workflows.create({ name: "" })).rejects.toBeInstanceOf(ValidationError);
    await expect(store.workflows.update("00000000-0000-4000-8000-000000000000", { name: "x" })).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it("publishes immutable versions, bumping the patch when no version is given", async () => {
    const wf = await store.workflows.create({ name: "Publish me" });
    const v1 = await store.workflows.publish(wf.id, {
      definition: definition(),
      notes: "first",
      pluginVersions: { "@weft/plugin-http": "1.2.0" },
      publishedBy: "alice",
    });
    expect(v1).toMatchObject({ version: "1.0.0", notes: "first", publishedBy: "alice" });
    expect(await store.workflows.get(wf.id)).toMatchObject({ status: "active", latestVersion: "1.0.0" });
    const v2 = await store.workflows.publish(wf.id, { definition: definition("v2") });
    expect(v2.version).toBe("1.0.1");
    const v3 = await store.workflows.publish(wf.id, { definition: definition("v3"), version: "2.0.0" });
    expect(v3.version).toBe("2.0.0");
    await expect(store.workflows.publish(wf.id, { definition: definition(), version: "1.5.0" })).rejects.toBeInstanceOf(
      ConflictError,
    );
    await expect(store.workflows.publish(wf.id, { definition: definition(), version: "v3" })).rejects.toBeInstanceOf(
      ValidationError,
    );
    expect((await store.workflows.listVersions(wf.id)).map((v) => v.version)).toEqual(["2.0.0", "1.0.1", "1.0.0"]);
    expect((await store.workflows.getVersion(wf.id, "latest"))?.version).toBe("2.0.0");
    expect((await store.workflows.getVersion(wf.id, "1.0.0"))?.pluginVersions).toEqual({
      "@weft/plugin-http": "1.2.0",
    });
    expect(await store.workflows.getVersionById(v2.id)).toEqual(v2);
    await expect(
      store.workflows.publish("00000000-0000-4000-8000-000000000000", { definition: definition() }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it("concurrent publishes get distinct versions", async () => {
    const wf = await store.workflows.create({ name: "Busy" });
    const versions = await Promise.all(
      Array.from({ length: 5 }, () => store.workflows.publish(wf.id, { definition: definition() })),
    );
    expect(new Set(versions.map((v) => v.version)).size).toBe(5);
    expect((await store.workflows.get(wf.id))?.latestVersion).toBe("1.0.4");
  });

  it("refuses to delete a workflow with active runs, and deletes it with its history otherwise", async () => {
    const wf = await store.workflows.create({ name: "Doomed" });
    await store.workflows.publish(wf.id, { definition: definition() });
    const run = await store.runs.create({ workflowId: wf.id });
    const error = await store.workflows.delete(wf.id).catch((e) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.details.activeRuns).toBe(1);
    await store.runs.markStatus(run.id, "cancelled");
    await store.workflows.delete(wf.id);
    expect(await store.workflows.get(wf.id)).toBeUndefined();
    expect(await store.runs.get(run.id)).toBeUndefined();
    await expect(store.workflows.delete(wf.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("keeps the editable definition on the workflow, written with it in one statement", async () => {
    const draft = definition("draft");
    const wf = await store.workflows.create({ name: "With draft", definition: draft });
    expect(wf.definition).toEqual(draft);
    expect((await store.workflows.get(wf.id))?.definition).toEqual(draft);
    const listed = (await store.workflows.list({ text: "With draft" })).items[0];
    expect(listed).not.toHaveProperty("definition");

    const edited = { ...draft, nodes: [...draft.nodes, { id: "next", type: "core.noop", data: {} }] };
    const updated = await store.workflows.update(wf.id, { name: "With draft v2", definition: edited });
    expect(updated).toMatchObject({ name: "With draft v2", definition: edited });
    expect((await store.workflows.update(wf.id, { tags: ["x"] })).definition).toEqual(edited);

    // A bad definition refuses the whole write: no workflow without its draft, no half update.
    const before = (await store.workflows.list()).total;
    await expect(
      store.workflows.create({ name: "Broken", definition: [1, 2] as unknown as ReturnType<typeof definition> }),
    ).rejects.toBeInstanceOf(ValidationError);
    expect((await store.workflows.list()).total).toBe(before);
    await expect(
      store.workflows.update(wf.id, {
        name: "Renamed",
        definition: "nope" as unknown as ReturnType<typeof definition>,
      }),
    ).rejects.toBeInstanceOf(ValidationError);
    expect((await store.workflows.get(wf.id))?.name).toBe("With draft v2");
    expect((await store.workflows.create({ name: "No draft" })).definition).toBeNull();
  });
});

// `weft prune` as an operator runs it: the real bin in a child process, on a test database with runs
// of different ages.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { openStore, type Store } from "@weft/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ageRuns, createTestDatabase } from "../../../test/pg.ts";
import { weftCommand } from "./__fixtures__/weft.ts";

const work = mkdtempSync(path.join(tmpdir(), "weft-prune-"));
let databaseUrl: string;
let store: Store;

const weft = weftCommand(() => ({ databaseUrl, dataDir: work }));

beforeAll(async () => {
  databaseUrl = await createTestDatabase("prune");
  store = await openStore({ databaseUrl, dataDir: work });
});
afterAll(async () => {
  await store?.close();
});

/** A run that finished (`status`) with one step, or that is still waiting. */
async function run(workflowId: string, status: "succeeded" | "failed" | "waiting"): Promise<string> {
  const created = await store.runs.create({ workflowId });
  await store.runs.checkpoint(created.id, {
    state: {
      schemaVersion: 1,
      runId: created.id,
      workflowId,
      status: status === "waiting" ? "waiting" : status,
      startedAt: new Date().toISOString(),
      input: {},
      vars: {},
      nodes: {},
      edges: {},
    },
    status,
    step: { nodeId: "start", nodeType: "trigger.manual", attempt: 1, status: "succeeded" },
  });
  return created.id;
}

const age = (ids: string[], days: number) => ageRuns(databaseUrl, ids, days);

describe("weft prune", () => {
  it("deletes finished runs older than N days with their steps and keeps active and recent ones", async () => {
    const workflow = await store.workflows.create({ name: "Retention" });
    await store.workflows.publish(workflow.id, {
      definition: { name: "Retention", nodes: [{ id: "start", type: "trigger.manual", data: {} }], edges: [] },
    });
    const old = [
      await run(workflow.id, "succeeded"),
      await run(workflow.id, "failed"),
      await run(workflow.id, "succeeded"),
    ];
    const waiting = await run(workflow.id, "waiting");
    const recent = await run(workflow.id, "succeeded");
    await age([...old, waiting], 40);
    await age([recent], 3);

    const { code, stdout } = await weft(["prune", "--older-than", "30", "--batch-size", "2"]);
    expect(code).toBe(0);
    expect(stdout).toContain("deleted 3 runs");
    for (const id of old) {
      expect(await store.runs.get(id)).toBeUndefined();
      expect(await store.runs.listSteps(id)).toEqual([]);
    }
    expect(await store.runs.get(waiting)).toMatchObject({ status: "waiting" });
    expect(await store.runs.get(recent)).toMatchObject({ status: "succeeded" });
    expect((await weft(["prune", "--older-than", "30"])).stdout).toContain("deleted 0 runs");
  });

  it("exits 2 on bad arguments, saying which", async () => {
    const missing = await weft(["prune"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--older-than <days> is required");
    const words = await weft(["prune", "--older-than", "a month"]);
    expect(words.code).toBe(2);
    expect(words.stderr).toContain("--older-than: not a number of days");
    const batch = await weft(["prune", "--older-than", "30", "--batch-size", "0"]);
    expect(batch.code).toBe(2);
    expect(batch.stderr).toContain("--batch-size: not a positive integer");
  });
});

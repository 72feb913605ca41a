// A store on a fresh database of the test run's PostgreSQL cluster, with a fixed encryption key.
import { randomBytes } from "node:crypto";
import { createTestDatabase } from "../../../../test/pg.ts";
import type { RunState } from "../kernel-types.ts";
import { openStore, type Store, type StoreOptions } from "../store.ts";

export const TEST_KEY = randomBytes(32);

export async function openTestStore(options: StoreOptions = {}): Promise<Store> {
  const databaseUrl = await createTestDatabase("store");
  return openStore({ databaseUrl, encryptionKey: TEST_KEY, ...options });
}

/** A minimal workflow definition (the kernel's shape). */
export function definition(name = "triage") {
  return {
    name,
    nodes: [{ id: "start", type: "core.manual", data: {} }],
    edges: [],
  };
}

/** A kernel run state with the given nodes, as the runtime checkpoints it. */
export function runState(runId: string, workflowId: string, nodes: RunState["nodes"] = {}): RunState {
  return {
    schemaVersion: 1,
    runId,
    workflowId,
    status: "running",
    startedAt: new Date().toISOString(),
    input: {},
    vars: {},
    nodes,
    edges: {},
  };
}

// Script nodes through the runtime: the pool registered under SANDBOX_POOL runs them, their console
// output lands in the step's stored logs, and the operator's maxima from the environment hold.
import { SandboxPool } from "@weft/sandbox";
import { openStore, type Store } from "@weft/store";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/pg.ts";
import { chain, publish, TEST_ENCRYPTION_KEY } from "./__fixtures__/harness.ts";
import { loadPlugins, type PluginCatalog } from "./loader/index.ts";
import { createRuntime, type Runtime } from "./runtime.ts";
import { sandboxOptionsFromEnv } from "./sandbox-settings.ts";

let store: Store;
let catalog: PluginCatalog;
const runtimes: Runtime[] = [];
const pools: SandboxPool[] = [];
const saved = { ...process.env };

beforeAll(async () => {
  store = await openStore({ databaseUrl: await createTestDatabase("rt_sandbox"), encryptionKey: TEST_ENCRYPTION_KEY });
  catalog = await loadPlugins({ plugins: ["@weft/plugin-core", "@weft/plugin-script"] });
});
afterEach(() => {
  for (const name of ["WEFT_SANDBOX_POOL_SIZE", "WEFT_SANDBOX_MAX_MEMORY_MB", "WEFT_SANDBOX_MAX_TIMEOUT_MS"]) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});
afterAll(async () => {
  for (const runtime of runtimes) await runtime.stop({ graceMs: 1000 });
  for (const pool of pools) pool.dispose();
  await store?.close();
});

async function inlineRuntime(sandbox?: SandboxPool): Promise<Runtime> {
  const runtime = await createRuntime({
    store,
    catalog,
    transport: "inline",
    workerId: "sandbox-test",
    ...(sandbox ? { sandbox } : {}),
  });
  runtimes.push(runtime);
  await runtime.start();
  return runtime;
}

describe("script.run through the runtime", () => {
  it("runs on the registered pool and stores the script's console output in the step's logs", async () => {
    const pool = new SandboxPool({ size: 1 });
    pools.push(pool);
    const runtime = await inlineRuntime(pool);
    const workflowId = await publish(
      store,
      chain([
        {
          id: "count",
          type: "script.run",
          config: { code: "console.log('counting', input.items.length); return input.items.length * 2;" },
        },
      ]),
    );
    const before = pool.stats().runs;
    const { runId } = await runtime.startRun({ workflowId, input: { items: [1, 2, 3] } });
    const run = await runtime.waitForRun(runId, { terminal: true });
    expect(run.status).toBe("succeeded");
    expect(run.state?.nodes.count?.output).toBe(6);
    expect(pool.stats().runs).toBe(before + 1);
    const step = (await store.runs.listSteps(runId)).find((s) => s.nodeId === "count");
    expect(step?.logs.map((entry) => entry.message).join("\n")).toContain("counting 3");
  });

  it("clamps a script's requested timeout to WEFT_SANDBOX_MAX_TIMEOUT_MS", async () => {
    process.env.WEFT_SANDBOX_MAX_TIMEOUT_MS = "300";
    process.env.WEFT_SANDBOX_POOL_SIZE = "1";
    const runtime = await inlineRuntime();
    const workflowId = await publish(
      store,
      chain([{ id: "spin", type: "script.run", config: { code: "for (;;) {}", timeoutMs: 600_000 } }]),
    );
    const { runId } = await runtime.startRun({ workflowId });
    const run = await runtime.waitForRun(runId, { terminal: true, timeoutMs: 30_000 });
    expect(run.status).toBe("failed");
    expect(run.state?.nodes.spin?.error?.code).toBe("WEFT_E_SANDBOX_TIMEOUT");
  });

  it("refuses sandbox settings that are not whole numbers in range, naming the variable", async () => {
    expect(() => sandboxOptionsFromEnv({ WEFT_SANDBOX_MAX_MEMORY_MB: "4" })).toThrow(
      expect.objectContaining({
        code: "WEFT_E_RUNTIME_CONFIG",
        details: expect.objectContaining({ variable: "WEFT_SANDBOX_MAX_MEMORY_MB" }),
      }),
    );
    expect(() => sandboxOptionsFromEnv({ WEFT_SANDBOX_POOL_SIZE: "two" })).toThrow(/WEFT_SANDBOX_POOL_SIZE/);
    process.env.WEFT_SANDBOX_MAX_TIMEOUT_MS = "-1";
    await expect(createRuntime({ store, catalog, transport: "inline" })).rejects.toMatchObject({
      code: "WEFT_E_RUNTIME_CONFIG",
    });
    expect(sandboxOptionsFromEnv({ WEFT_SANDBOX_POOL_SIZE: "2", WEFT_SANDBOX_MAX_MEMORY_MB: "128" })).toEqual({
      size: 2,
      maxLimits: { memoryMb: 128 },
    });
  });
});

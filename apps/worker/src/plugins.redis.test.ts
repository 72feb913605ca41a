// A worker deployed with no configuration loads the same plugins as the CLI and the server: every
// first-party plugin, so a run using script.run succeeds whichever process picks it up.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createRuntime, loadPlugins, type Runtime } from "@weft/runtime";
import { openStore, type Store } from "@weft/store";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  chain,
  publish,
  spawnWorker,
  TEST_ENCRYPTION_KEY,
  type WorkerProcess,
} from "../../../packages/runtime/src/__fixtures__/harness.ts";
import { createTestDatabase, testRedisUrl } from "../../../test/pg.ts";

const prefix = `weft-worker-plugins-${process.pid}-${Date.now()}`;
const dir = mkdtempSync(path.join(tmpdir(), "weft-worker-plugins-"));
let databaseUrl: string;
let store: Store;
let api: Runtime;
let worker: WorkerProcess | undefined;

beforeAll(async () => {
  databaseUrl = await createTestDatabase("worker_plugins");
  store = await openStore({ databaseUrl, encryptionKey: TEST_ENCRYPTION_KEY });
  const catalog = await loadPlugins({ plugins: ["@weft/plugin-core", "@weft/plugin-script"] });
  api = await createRuntime({ store, catalog, redisUrl: testRedisUrl(), workerId: "api", queue: { prefix } });
  await api.start();
});
afterAll(async () => {
  if (worker) {
    worker.child.kill("SIGTERM");
    await worker.exited;
  }
  await api?.stop({ graceMs: 1000 });
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

it("runs a script.run workflow on a worker started without WEFT_PLUGINS", async () => {
  worker = await spawnWorker({
    id: "plain",
    redisUrl: testRedisUrl(),
    databaseUrl,
    prefix,
    probeFile: path.join(dir, "probe.log"),
    plugins: null,
  });
  const workflowId = await publish(
    store,
    chain([{ id: "double", type: "script.run", config: { code: "return input.n * 2;" } }]),
  );
  const { runId } = await api.startRun({ workflowId, input: { n: 21 } });
  const done = await api.waitForRun(runId, { terminal: true, timeoutMs: 30_000 });
  expect(done.status).toBe("succeeded");
  expect(done.state?.nodes.double?.output).toBe(42);
  // The worker reports what it loaded: every first-party plugin.
  const health = (await (await fetch(`http://127.0.0.1:${worker.port}/healthz`)).json()) as { plugins: string[] };
  for (const name of ["core", "http", "script", "tenable", "jira", "slack"])
    expect(health.plugins.some((p) => p.startsWith(`@weft/plugin-${name}@`))).toBe(true);
});

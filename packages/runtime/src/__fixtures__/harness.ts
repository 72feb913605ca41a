// Test helpers: workflow definitions, publishing, and worker processes spawned the way operators run
// them (`node --no-node-snapshot apps/worker/src/main.ts` with environment variables).
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import type { WorkflowDefinition } from "@weft/kernel";
import type { Store } from "@weft/store";

export const PROBE_PLUGIN = path.resolve(import.meta.dirname, "probe-plugin.ts");
const WORKER_MAIN = path.resolve(import.meta.dirname, "../../../../apps/worker/src/main.ts");
export const TEST_ENCRYPTION_KEY = "11".repeat(32);

/** trigger.manual → each step in order. */
export function chain(steps: { id: string; type: string; config?: Record<string, unknown> }[]): WorkflowDefinition {
  const nodes = [
    { id: "trigger", type: "trigger.manual", data: {} },
    ...steps.map((s) => ({ id: s.id, type: s.type, data: { config: s.config ?? {} } })),
  ];
  const edges = nodes.slice(1).map((node, i) => ({
    id: `e${i}`,
    source: (nodes[i] as { id: string }).id,
    target: node.id,
  }));
  return { name: "test chain", nodes, edges };
}

/** Creates and publishes a workflow; returns its id. */
export async function publish(store: Store, definition: WorkflowDefinition): Promise<string> {
  const workflow = await store.workflows.create({ name: `${definition.name} ${Math.random().toString(36).slice(2)}` });
  await store.workflows.publish(workflow.id, { definition: definition as never, notes: "test" });
  return workflow.id;
}

/** Polls `check` until it returns a value (not undefined), or throws after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Lines `<idempotencyKey> <worker> <attempt>` the probe node wrote. */
export function probeLines(file: string): { key: string; worker: string; attempt: number }[] {
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [key = "", worker = "", attempt = "0"] = line.split(" ");
      return { key, worker, attempt: Number(attempt) };
    });
}

export interface WorkerProcess {
  id: string;
  child: ChildProcess;
  port: number;
  output(): string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
}

/** Spawns a worker process and resolves once it listens. */
export async function spawnWorker(options: {
  id: string;
  redisUrl: string;
  databaseUrl: string;
  prefix: string;
  probeFile: string;
  concurrency?: number;
  graceMs?: number;
  /** WEFT_PLUGINS (default: core and the probe); null leaves it unset, as a default deployment does. */
  plugins?: string | null;
}): Promise<WorkerProcess> {
  const { WEFT_PLUGINS: _inherited, ...inherited } = process.env;
  const plugins = options.plugins === undefined ? `@weft/plugin-core,${PROBE_PLUGIN}` : options.plugins;
  const child = spawn(process.execPath, ["--no-node-snapshot", WORKER_MAIN], {
    env: {
      ...inherited,
      REDIS_URL: options.redisUrl,
      DATABASE_URL: options.databaseUrl,
      WEFT_WORKER_ID: options.id,
      WEFT_WORKER_CONCURRENCY: String(options.concurrency ?? 10),
      ...(plugins === null ? {} : { WEFT_PLUGINS: plugins }),
      WEFT_QUEUE_PREFIX: options.prefix,
      WEFT_LOCK_DURATION_MS: "2000",
      WEFT_STALLED_INTERVAL_MS: "1000",
      WEFT_SHUTDOWN_GRACE_MS: String(options.graceMs ?? 10_000),
      WEFT_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      WEFT_PROBE_FILE: options.probeFile,
      WEFT_LOG_LEVEL: "info",
      PORT: "0",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let text = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    text += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    text += chunk.toString();
  });
  const exited = new Promise<number | string>((resolve) =>
    child.once("exit", (code, signal) => resolve(code ?? signal ?? -1)),
  );
  const port = await Promise.race([
    eventually(() => {
      const match = /"port":(\d+).*"msg":"worker started"/.exec(text);
      return match ? Number(match[1]) : undefined;
    }, 30_000),
    exited.then((code) => {
      throw new Error(`worker ${options.id} exited (${code}) before it started:\n${text}`);
    }),
  ]);
  return { id: options.id, child, port, output: () => text, exited };
}

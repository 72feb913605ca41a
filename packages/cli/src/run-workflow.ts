// `weft run`: executes a workflow file with the inline transport — no server, no API key — and
// returns the run's record, one entry per node of the workflow (skipped ones included).
import type { ErrorInfo, Json, RunState, WorkflowDefinition } from "@weft/kernel";
import { createRuntime, type PluginCatalog, type RunEvent } from "@weft/runtime";
import type { Store } from "@weft/store";
import { pino } from "pino";
import type { LocalCredentials } from "./workflow-file.ts";

/** The final record `weft run --json` prints. */
export interface RunResult {
  runId: string;
  status: string;
  output: Json;
  steps: {
    nodeId: string;
    status: string;
    attempts: number;
    output: Json;
    error: { code: string; message: string } | null;
  }[];
}

export interface RunWorkflowOptions {
  store: Store;
  catalog: PluginCatalog;
  definition: WorkflowDefinition;
  input: Json;
  credentials?: LocalCredentials;
  /** Receives every live event (progress display). */
  onEvent?: (event: RunEvent) => void;
  /** Longest time to wait for a run that is parked on a delay (default 10 minutes). */
  maxDelayMs?: number;
}

const CLI_TAG = "weft-run";

/** The workflow row local runs of a file are recorded under (one per workflow name). */
async function workflowFor(store: Store, definition: WorkflowDefinition): Promise<string> {
  const page = await store.workflows.list({ tag: CLI_TAG, text: definition.name, limit: 100 });
  const existing = page.items.find((w) => w.name === definition.name);
  if (existing) return existing.id;
  const created = await store.workflows.create({
    name: definition.name,
    description: definition.description ?? "run from a file with `weft run`",
    tags: [CLI_TAG],
  });
  return created.id;
}

function stepsOf(definition: WorkflowDefinition, state: RunState | null): RunResult["steps"] {
  return definition.nodes.map((node) => {
    const s = state?.nodes[node.id];
    const error: ErrorInfo | undefined = s?.error;
    return {
      nodeId: node.id,
      status: s?.status ?? "pending",
      attempts: s?.attempts ?? 0,
      output: s?.output ?? null,
      error: error ? { code: error.code, message: error.message } : null,
    };
  });
}

/** Only delays are waited out locally; approvals and webhooks need `weft start`. */
function waitsOnlyForDelays(state: RunState | null, maxDelayMs: number): boolean {
  if (!state) return false;
  const waits = Object.values(state.nodes).filter((n) => n.status === "waiting");
  return (
    waits.length > 0 &&
    waits.every((n) => n.wait?.kind === "delay" && Date.parse(n.wait.until ?? "") - Date.now() <= maxDelayMs)
  );
}

/** Runs the definition to its end (or until it waits for a person or a webhook). */
export async function runWorkflow(options: RunWorkflowOptions): Promise<RunResult> {
  const { store, catalog, definition } = options;
  const local = options.credentials ?? {};
  const runtime = await createRuntime({
    store,
    catalog,
    transport: "inline",
    logger: pino({ level: process.env.WEFT_LOG_LEVEL ?? "silent" }),
    // Credentials from --credentials first, then those stored in the database.
    credentials: async (name) => local[name] ?? store.credentials.resolve(name).catch(() => undefined),
  });
  await runtime.start();
  try {
    const workflowId = await workflowFor(store, definition);
    // Listen before starting: the first events can come before startRun returns.
    let runId: string | undefined;
    const early: RunEvent[] = [];
    const unsubscribe = runtime.subscribe("*", (event) => {
      if (runId === undefined) early.push(event);
      else if (event.runId === runId) options.onEvent?.(event);
    });
    const started = await runtime.startRun({
      workflowId,
      definition,
      input: options.input,
      trigger: { type: "manual" },
    });
    runId = started.runId;
    for (const event of early) if (event.runId === runId) options.onEvent?.(event);
    let record = await runtime.waitForRun(runId, { timeoutMs: 24 * 3600_000 });
    while (record.status === "waiting" && waitsOnlyForDelays(record.state, options.maxDelayMs ?? 600_000)) {
      record = await runtime.waitForRun(runId, { timeoutMs: 24 * 3600_000, terminal: true });
    }
    unsubscribe();
    return {
      runId,
      status: record.status,
      output: (record.output ?? null) as Json,
      steps: stepsOf(definition, record.state),
    };
  } finally {
    await runtime.stop({ graceMs: 5000 });
  }
}

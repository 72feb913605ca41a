// Runs one node's full lifecycle through the real kernel engine, so a plugin's unit tests see the
// same config resolution, timeouts, retries, finalize and suspend/resume a worker would.
import type {
  AttemptOutcome,
  Json,
  LogEntry,
  NodeStrategy,
  RetryPolicy,
  RunState,
  ValidationIssue,
  WorkflowDefinition,
  WorkflowNode,
} from "@weft/kernel";
import { StrategyRegistry, validate, WorkflowEngine } from "@weft/kernel";
import type { z } from "zod";
import type { NodeDefinition, PluginDefinition } from "../define.ts";
import { toDescriptor } from "../manifest.ts";

/** Config as a workflow stores it: any value may instead be a `{{ expression }}` template string. */
export type Templated<T> = T extends string
  ? string
  : T extends readonly (infer U)[]
    ? Templated<U>[] | string
    : T extends object
      ? { [K in keyof T]: Templated<T[K]> } | string
      : T | string;

/** Decrypted credential values handed to the node. */
export interface TestCredential {
  type: string;
  values: Record<string, unknown>;
}

/** Options of {@link runNode}. */
export interface RunNodeOptions<TConfigInput = unknown> {
  /** The node's config as a workflow stores it (templates are resolved by the kernel). */
  config: Templated<TConfigInput>;
  /** The run input (trigger payload), visible as `ctx.input` and `$input`. */
  input?: Json;
  /** Outputs of upstream nodes by node id, visible as `ctx.inputs` and `$nodes.<id>.output`. */
  inputs?: Record<string, Json>;
  /** The credential the node references (`ctx.credentials.get()`), or several by name. */
  credentials?: TestCredential | Record<string, TestCredential>;
  /** Attempt number the first attempt runs as (default 1): to test behaviour on a late retry. */
  attempt?: number;
  /** Per-attempt timeout (aborts `ctx.signal` with `WEFT_E_TIMEOUT`). */
  timeoutMs?: number;
  /** Retry policy; partial policies get `backoff: "fixed"`, `delayMs: 0`. */
  retry?: Partial<RetryPolicy> & { maxAttempts: number };
  /** Cancels the run (the attempt ends `cancelled`). */
  signal?: AbortSignal;
  /** Payload(s) the node is resumed with each time it suspends, in order. */
  resume?: Json | { payloads: Json[] };
  /** The plugin the node belongs to (names it on errors; its credential types parse the values). */
  plugin?: Pick<PluginDefinition, "name" | "version">;
  /** Wait the real retry delays (default false: delays are recorded in `retryDelays` and skipped). */
  realTime?: boolean;
  /** Run-scoped services the node resolves through `ctx.services`. */
  services?: Record<string | symbol, unknown>;
}

/** What {@link runNode} reports. */
export interface RunNodeResult {
  /** How the node's last attempt ended. */
  outcome: AttemptOutcome;
  /** Attempts the node made (resumes included). */
  attempts: number;
  /** Every log line of every attempt, in order. */
  logs: LogEntry[];
  /** The delay the kernel chose before each retry (e.g. from `Retry-After`). */
  retryDelays: number[];
  /** The run's final state (undefined when the workflow did not pass validation). */
  state: RunState | undefined;
  /**
   * Problems the kernel's validator found before anything ran (e.g. a config value that breaks the
   * schema); the outcome is then a failed `WEFT_E_CONFIG_INVALID` with zero attempts.
   */
  validation: ValidationIssue[];
}

const NODE_ID = "node";
const TRIGGER_ID = "trigger";
const UPSTREAM_TYPE = "testing.upstream";

function isSingleCredential(value: RunNodeOptions["credentials"]): value is TestCredential {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as TestCredential).type === "string" &&
    "values" in value
  );
}

function retryPolicy(retry: RunNodeOptions["retry"]): RetryPolicy | undefined {
  if (!retry) return undefined;
  return { backoff: "fixed", delayMs: 0, ...retry };
}

/** The one-node workflow: a manual trigger (and upstream fixtures for `inputs`) before the node. */
function workflowFor(node: NodeDefinition, options: RunNodeOptions): WorkflowDefinition {
  const data: WorkflowNode["data"] = { config: options.config as Record<string, unknown> };
  if (options.timeoutMs !== undefined) data.timeoutMs = options.timeoutMs;
  const retry = retryPolicy(options.retry);
  if (retry) data.retry = retry;
  if (options.credentials !== undefined)
    data.credential = isSingleCredential(options.credentials) ? "default" : Object.keys(options.credentials)[0];
  const target: WorkflowNode = { id: NODE_ID, type: node.type, version: node.version, data };
  // A trigger under test is the run's start node itself.
  if (node.category === "trigger") return { name: `test ${node.type}`, nodes: [target], edges: [] };
  const upstream = Object.keys(options.inputs ?? {});
  if (upstream.includes(NODE_ID) || upstream.includes(TRIGGER_ID))
    throw new Error(`runNode: inputs may not use the ids "${NODE_ID}" or "${TRIGGER_ID}"`);
  const nodes: WorkflowNode[] = [
    { id: TRIGGER_ID, type: "trigger.manual", version: 1, data: {} },
    ...upstream.map((id) => ({ id, type: UPSTREAM_TYPE, version: 1, data: {} })),
    target,
  ];
  const edges =
    upstream.length === 0
      ? [{ id: "e-trigger", source: TRIGGER_ID, target: NODE_ID }]
      : upstream.flatMap((id) => [
          { id: `e-trigger-${id}`, source: TRIGGER_ID, target: id },
          { id: `e-${id}`, source: id, target: NODE_ID },
        ]);
  return { name: `test ${node.type}`, nodes, edges };
}

let runCounter = 0;

/**
 * Runs `node` once through the real kernel: config templates resolved, config parsed, credentials
 * passed, timeouts and retries applied, finalize run, suspensions resumed with `resume`. Never
 * throws for a failing node: the failure is the returned `outcome`.
 *
 * @example
 * const { outcome } = await runNode(postMessage, { config: { channel: "#sec", text: "hi" }, credentials: { type: "slack", values: { token: "x" } } });
 * expect(outcome).toMatchObject({ status: "succeeded", port: "default" });
 */
export async function runNode<TConfigSchema extends z.ZodType>(
  node: NodeDefinition<TConfigSchema>,
  options: RunNodeOptions<z.input<TConfigSchema>>,
): Promise<RunNodeResult> {
  const inputs = options.inputs ?? {};
  const registry = new StrategyRegistry();
  registry.register(toDescriptor(node as NodeDefinition, options.plugin), node.strategy);
  if (Object.keys(inputs).length > 0) {
    const upstream: NodeStrategy = { execute: (ctx) => inputs[ctx.nodeId] ?? null };
    registry.register({ type: UPSTREAM_TYPE, version: 1, category: "action", ports: ["default"] }, upstream);
  }

  const credentials = options.credentials;
  const attempts: { outcome: AttemptOutcome; logs: LogEntry[] }[] = [];
  const retryDelays: number[] = [];
  const services = options.services ?? {};
  const engine = new WorkflowEngine({
    registry,
    concurrency: 1,
    ...(options.realTime ? {} : { sleep: async () => {} }),
    subscriber: {
      attemptFinished(event) {
        if (event.nodeId !== NODE_ID) return;
        attempts.push({ outcome: event.outcome, logs: event.logs });
        if (event.retryInMs !== undefined) retryDelays.push(event.retryInMs);
      },
    },
    credentials: async ({ name }) => {
      const found = isSingleCredential(credentials) ? credentials : credentials?.[name];
      if (!found) throw new Error(`runNode: no credential named "${name}" was given`);
      return { type: found.type, values: { ...found.values } };
    },
    services: (container) => {
      for (const token of Reflect.ownKeys(services))
        container.register(token as string, { useValue: (services as Record<string | symbol, unknown>)[token] });
    },
  });

  const definition = workflowFor(node as NodeDefinition, options as RunNodeOptions);
  // Statically invalid config is what the designer and the API refuse before a run exists: report
  // it the way a plugin test expects to see it, as the node's failure, without running anything.
  const validation = validate(definition, registry);
  if (validation.length > 0) {
    if (validation.some((issue) => issue.code !== "WEFT_E_CONFIG_INVALID" || issue.nodeId !== NODE_ID))
      throw new Error(`runNode: the one-node workflow is not valid: ${validation.map((i) => i.message).join("; ")}`);
    const error = {
      code: "WEFT_E_CONFIG_INVALID",
      message: `${node.type}: invalid config — ${validation.map((i) => i.message).join("; ")}`,
      retryable: false,
      details: { issues: validation as unknown as Json },
    };
    return {
      outcome: { status: "failed", error },
      attempts: 0,
      logs: [],
      retryDelays: [],
      state: undefined,
      validation,
    };
  }
  let state = engine.createRun({
    runId: `test-run-${++runCounter}`,
    workflowId: "test-workflow",
    definition,
    input: options.input ?? null,
  });
  if (options.attempt !== undefined && options.attempt > 1) {
    const nodeState = state.nodes[NODE_ID];
    if (nodeState) nodeState.attempts = options.attempt - 1;
  }
  const signal = options.signal;
  state = await engine.execute(definition, state, signal ? { signal } : {});

  const payloads =
    options.resume === undefined
      ? []
      : typeof options.resume === "object" && options.resume !== null && "payloads" in options.resume
        ? [...(options.resume as { payloads: Json[] }).payloads]
        : [options.resume as Json];
  while (state.nodes[NODE_ID]?.status === "waiting" && payloads.length > 0) {
    state = await engine.resume(definition, state, NODE_ID, payloads.shift() as Json);
    if (state.status === "running") state = await engine.execute(definition, state, signal ? { signal } : {});
  }

  const last = attempts.at(-1);
  const nodeState = state.nodes[NODE_ID];
  const outcome: AttemptOutcome =
    last?.outcome ??
    (nodeState?.error
      ? { status: "failed", error: nodeState.error }
      : nodeState?.status === "cancelled" || state.status === "cancelled"
        ? { status: "cancelled" }
        : {
            status: "failed",
            error: state.error ?? { code: "WEFT_E_INTERNAL", message: "the node never ran", retryable: false },
          });
  return {
    outcome,
    attempts: attempts.length,
    logs: attempts.flatMap((a) => a.logs),
    retryDelays,
    state,
    validation: [],
  };
}

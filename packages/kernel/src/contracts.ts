// The kernel's public contracts: what a node strategy implements, what it receives, how an attempt
// ends, the workflow definition format and the serialisable run state. Everything here is plain
// TypeScript types; the engine, validator and registry implement them.

/** A JSON value: what crosses process boundaries (checkpoints, queues, the API). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A JSON object. */
export type JsonObject = { [key: string]: Json };

// ---------------------------------------------------------------------------------------------
// Errors as data
// ---------------------------------------------------------------------------------------------

/**
 * The serialisable form of an error raised while running a node. `code` is one of the `WEFT_E_*`
 * codes of the error registry (or a plugin's own code); the kernel decides retries from
 * `retryable`, never from the message.
 */
export interface ErrorInfo {
  code: string;
  message: string;
  retryable: boolean;
  /** Extra structured facts (HTTP status, field paths, ...). Never secrets. */
  details?: Json;
  /** The plugin package that raised it, when known. */
  plugin?: string;
  nodeId?: string;
  runId?: string;
  /** Milliseconds the failing service asked us to wait before retrying (e.g. `Retry-After`). */
  retryAfterMs?: number;
  cause?: ErrorInfo;
}

// ---------------------------------------------------------------------------------------------
// The node lifecycle
// ---------------------------------------------------------------------------------------------

/** One structured log line written by a node attempt (kept on the step record). */
export interface LogEntry {
  level: "debug" | "info" | "warn" | "error";
  message: string;
  /** ISO-8601 time. */
  at: string;
  fields?: JsonObject;
}

/** The logger a node receives. Lines are captured on the attempt, not printed. */
export interface NodeLogger {
  debug(message: string, fields?: JsonObject): void;
  info(message: string, fields?: JsonObject): void;
  warn(message: string, fields?: JsonObject): void;
  error(message: string, fields?: JsonObject): void;
}

/** A token that names a service in the run's container (a tsyringe `InjectionToken`). */
export type ServiceToken<T> = string | symbol | (abstract new (...args: never[]) => T);

/** Typed lookup of run-scoped services (HTTP rate limiter, sandbox pool, clock, ...). */
export interface ServiceLookup {
  get<T>(token: ServiceToken<T>): T;
  has(token: ServiceToken<unknown>): boolean;
}

/**
 * Decrypted credential values for the attempt. `name` defaults to the node's `data.credential`.
 * Values never appear in config, outputs or logs.
 */
export interface CredentialAccess {
  /** The credential the node references, or undefined when it references none. */
  readonly name: string | undefined;
  /** Resolves the values of the named (default: the node's) credential; throws WEFT_E_CREDENTIAL_MISSING. */
  get(name?: string): Promise<{ type: string; values: Record<string, unknown> }>;
}

/** What a suspended node waits for. */
export interface WaitSpec {
  kind: "approval" | "delay" | "webhook" | "event";
  /** ISO-8601 time: when a delay is due, or when an approval/webhook wait expires. */
  until?: string;
  /** Anything the runtime needs to present or route the wait (approver role, webhook path, ...). */
  data?: Json;
}

/**
 * The one object every phase of a node attempt receives. Created by the kernel per attempt.
 * `TConfig` is the node's resolved, validated config.
 */
export interface NodeContext<TConfig = unknown> {
  readonly runId: string;
  readonly workflowId: string;
  readonly nodeId: string;
  readonly nodeType: string;
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** Config with every `{{ expression }}` template resolved. */
  readonly config: TConfig;
  /** The run's input (the trigger payload). */
  readonly input: Json;
  /** Outputs of the upstream nodes that finished, by node id. */
  readonly inputs: Readonly<Record<string, Json>>;
  /** Aborted on timeout (`WEFT_E_TIMEOUT`) and on cancel (`WEFT_E_CANCELLED`); `signal.reason` says which. */
  readonly signal: AbortSignal;
  readonly logger: NodeLogger;
  /** `${runId}:${nodeId}`: the same across every attempt and every process; for at-least-once side effects. */
  readonly idempotencyKey: string;
  /** The payload that resumed this node after it suspended (approval decision, webhook body, ...). */
  readonly resume?: Json;
  readonly credentials: CredentialAccess;
  readonly services: ServiceLookup;
}

/** Returned by `execute` (or `postprocess`) to suspend the node. Create it with `suspend()`. */
export interface Suspension {
  readonly kind: "suspension";
  readonly wait: WaitSpec;
}

/** What `postprocess` returns: the node's output and the output port it leaves on. */
export interface NodeResult<TOutput = Json> {
  output: TOutput;
  /** Output port; `"default"` when omitted. */
  port?: string;
}

/**
 * A node type's behaviour: four phases, of which only `execute` is required.
 *
 * - `preprocess` (no side effects): validate, resolve credentials, prepare the request. Its return
 *   value is passed to `execute`.
 * - `execute` (side effects; may be retried): the work. Returns a result, or a `Suspension`.
 * - `postprocess` (no side effects): shape/validate the result into `{ output, port }`. Without it,
 *   the result is the output and the port is `"default"`.
 * - `finalize` (cleanup only): always runs exactly once per attempt, with the attempt's outcome.
 *   An error thrown here is logged and reported as an event; it never changes the outcome.
 *
 * The phases run in sequence within an attempt; a retry runs all four again as a new attempt.
 */
export interface NodeStrategy<TConfig = unknown, TPrepared = unknown, TResult = unknown> {
  preprocess?(ctx: NodeContext<TConfig>): TPrepared | Promise<TPrepared>;
  execute(ctx: NodeContext<TConfig>, prepared: TPrepared): TResult | Suspension | Promise<TResult | Suspension>;
  postprocess?(ctx: NodeContext<TConfig>, result: TResult): NodeResult | Suspension | Promise<NodeResult | Suspension>;
  finalize?(ctx: NodeContext<TConfig>, outcome: AttemptOutcome): void | Promise<void>;
}

/** How one node attempt ended. */
export type AttemptOutcome =
  | { status: "succeeded"; output: Json; port: string }
  | { status: "failed"; error: ErrorInfo }
  | { status: "suspended"; wait: WaitSpec }
  | { status: "cancelled" };

// ---------------------------------------------------------------------------------------------
// Node types as the validator and scheduler see them
// ---------------------------------------------------------------------------------------------

/** The node categories the designer groups node types by. */
export type NodeCategory =
  | "trigger"
  | "action"
  | "condition"
  | "approval"
  | "integration"
  | "notification"
  | "transform"
  | "control";

/** A problem with a node's config, at a path inside it. */
export interface ConfigIssue {
  path: (string | number)[];
  message: string;
}

/** What the kernel needs to know about a node type to validate and schedule a graph. */
export interface NodeTypeDescriptor {
  /** Namespaced type, e.g. `slack.postMessage`. */
  type: string;
  /** Plugin major version this type belongs to. */
  version: number;
  category: NodeCategory;
  /** Output ports (always includes `"default"` unless the type routes only to named ports). `error` is implicit. */
  ports: string[];
  /** True when the port names depend on config (e.g. a switch's cases); edges are then not checked against `ports`. */
  dynamicPorts?: boolean;
  /** The plugin package that provides it. */
  plugin?: { name: string; version: string };
  /**
   * Checks a node's raw config (templates unresolved). Values that are `{{ }}` templates can only be
   * checked at run time, so implementations must accept a template string wherever a value goes.
   */
  validateConfig?(config: unknown): ConfigIssue[];
}

/** Looks node types up by type and (optional) pinned major version. */
export interface NodeCatalog {
  /** The descriptor for `type` at `version`, or the highest installed major when `version` is undefined. */
  describe(type: string, version?: number): NodeTypeDescriptor | undefined;
  /** Installed majors of a type, ascending (empty when unknown). */
  versions(type: string): number[];
}

// ---------------------------------------------------------------------------------------------
// Workflow definitions (the public format of workflow files, the API and the designer)
// ---------------------------------------------------------------------------------------------

/** Per-node retry policy. Each retry is a new attempt through all four phases. */
export interface RetryPolicy {
  /** Total attempts including the first (1 = no retry). */
  maxAttempts: number;
  backoff: "fixed" | "exponential";
  /** Delay before the second attempt; doubled per attempt when exponential. */
  delayMs: number;
  /** Cap on any single delay. */
  maxDelayMs?: number;
  /** `true` for full jitter, or a fraction (0..1) of the delay to randomise. */
  jitter?: boolean | number;
}

/** What happens when a node's last attempt fails. */
export type OnError = "fail" | "continue" | "route";

/** A node's `data` in a workflow definition. */
export interface NodeData {
  label?: string;
  config?: Record<string, unknown>;
  retry?: RetryPolicy;
  timeoutMs?: number;
  onError?: OnError;
  join?: "all" | "any";
  /** Name of a stored credential the node uses. */
  credential?: string;
}

/** A node in a workflow definition (React Flow shape plus `version`). */
export interface WorkflowNode {
  id: string;
  type: string;
  /** The plugin major the node was built with. */
  version?: number;
  position?: { x: number; y: number };
  data: NodeData;
}

/** An edge; `sourceHandle` is the output port (`default` when absent). */
export interface WorkflowEdge {
  id: string;
  source: string;
  target: string;
  sourceHandle?: string | null;
  targetHandle?: string | null;
  data?: { condition?: string };
}

/** A workflow definition. */
export interface WorkflowDefinition {
  name: string;
  description?: string;
  nodes: WorkflowNode[];
  edges: WorkflowEdge[];
  /** Workflow variables, visible to expressions as `$vars`. */
  vars?: Record<string, Json>;
  settings?: {
    /** Max nodes of this run executing at once (default 8). */
    concurrency?: number;
  };
}

// ---------------------------------------------------------------------------------------------
// Run state: plain JSON, checkpointed after every attempt, resumable in any process
// ---------------------------------------------------------------------------------------------

export type RunStatus = "running" | "paused" | "waiting" | "succeeded" | "failed" | "cancelled";

export type NodeStatus = "pending" | "running" | "waiting" | "succeeded" | "failed" | "skipped" | "cancelled";

/** Per-node state inside a run. */
export interface NodeState {
  status: NodeStatus;
  /** Attempts started so far. */
  attempts: number;
  output?: Json;
  port?: string;
  error?: ErrorInfo;
  wait?: WaitSpec;
  /**
   * The payload the node was resumed with, kept so an attempt interrupted by a crash re-runs with
   * it; cleared when the node suspends again.
   */
  resume?: Json;
  /** When the node's first attempt started. */
  startedAt?: string;
  /** When the node last finished or suspended. */
  finishedAt?: string;
}

/** The whole state of a run. JSON-serialisable: `JSON.parse(JSON.stringify(state))` resumes identically. */
export interface RunState {
  schemaVersion: 1;
  runId: string;
  workflowId: string;
  status: RunStatus;
  startedAt: string;
  finishedAt?: string;
  input: Json;
  vars: Record<string, Json>;
  nodes: Record<string, NodeState>;
  /** Resolution of each edge once its source finished. */
  edges: Record<string, "pending" | "taken" | "not_taken">;
  /** The run's output once it succeeded. */
  output?: Json;
  /** Why the run failed. */
  error?: ErrorInfo;
}

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

/** Fired after an attempt's four phases, before anything depending on it is scheduled. */
export interface AttemptFinishedEvent {
  runId: string;
  nodeId: string;
  nodeType: string;
  attempt: number;
  outcome: AttemptOutcome;
  /** The resolved config the attempt ran with (secrets are never in config). */
  config: Json;
  logs: LogEntry[];
  startedAt: string;
  finishedAt: string;
  /** When the attempt failed and will be retried: the delay before the next attempt. */
  retryInMs?: number;
  /** Run state including this attempt: checkpoint this. */
  state: RunState;
}

/**
 * Run/node lifecycle subscriber: every method optional. The engine awaits each call before going on,
 * so a subscriber that persists `state` checkpoints before dependants run. A subscriber that throws
 * stops the run's execution with that error (the state it was given stays the last checkpoint).
 */
export interface RunSubscriber {
  runStarted?(event: { runId: string; state: RunState }): void | Promise<void>;
  nodeStarted?(event: {
    runId: string;
    nodeId: string;
    nodeType: string;
    attempt: number;
    state: RunState;
  }): void | Promise<void>;
  attemptFinished?(event: AttemptFinishedEvent): void | Promise<void>;
  nodeSkipped?(event: { runId: string; nodeId: string; state: RunState }): void | Promise<void>;
  finalizeFailed?(event: { runId: string; nodeId: string; attempt: number; error: ErrorInfo }): void | Promise<void>;
  runSuspended?(event: { runId: string; waiting: string[]; state: RunState }): void | Promise<void>;
  runFinished?(event: { runId: string; status: RunStatus; state: RunState }): void | Promise<void>;
}

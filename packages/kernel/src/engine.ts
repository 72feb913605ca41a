// The public face of the scheduler: create a run's state, drive it, resume a suspended node.
// Compiled graphs are cached per definition object, so treat definitions as immutable.
import type { DependencyContainer } from "tsyringe";
import type { CredentialResolver } from "./context.ts";
import type { Json, NodeState, RunState, RunSubscriber, WorkflowDefinition } from "./contracts.ts";
import { WeftError } from "./errors.ts";
import { compileWorkflow, type WorkflowGraph } from "./graph.ts";
import type { StrategyRegistry } from "./registry.ts";
import { abortableSleep } from "./retry.ts";
import { subscriberLists } from "./run-events.ts";
import { RunScheduler, type SchedulerSettings } from "./scheduler.ts";

/** Options of {@link WorkflowEngine}. */
export interface WorkflowEngineOptions {
  /** Where node types are resolved (and run containers come from). */
  registry: StrategyRegistry;
  /** Max nodes of one run executing at once (default 8); a definition's `settings.concurrency` wins. */
  concurrency?: number;
  /** Lifecycle subscribers; each method is awaited, in order, before the run goes on. */
  subscriber?: RunSubscriber | RunSubscriber[];
  /** Clock for every timestamp in run state, events and logs (default: the system clock). */
  now?: () => Date;
  /** Waits between attempts; must reject when `signal` aborts (default: an abortable timer). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Source of jitter in retry delays, in [0, 1) (default `Math.random`). */
  random?: () => number;
  /**
   * How long, in ms, an attempt that timed out or was cancelled gets to return after `ctx.signal`
   * aborts (default 2000). Its `finalize`, a retry, and the release of its concurrency slot wait
   * for that. A strategy still running afterwards is abandoned: the attempt ends with a log line
   * saying so and, when it failed (timeout), `details.abandoned: true` and no retry, since a retry
   * would run next to it.
   */
  abortGraceMs?: number;
  /** Resolves stored credentials for `ctx.credentials.get()`; without it every lookup fails `WEFT_E_CREDENTIAL_MISSING`. */
  credentials?: CredentialResolver;
  /** Registers run-scoped services into a run's child container (called lazily, at most once per `execute`). */
  services?: (container: DependencyContainer) => void;
}

/** What {@link WorkflowEngine.createRun} needs. */
export interface CreateRunOptions {
  runId: string;
  workflowId: string;
  definition: WorkflowDefinition;
  /** The trigger payload: `ctx.input` and `$input` (default `null`). */
  input?: Json;
  /** Overrides of the definition's `vars`. */
  vars?: Record<string, Json>;
  /**
   * The trigger node that fired. When set, the workflow's other trigger nodes without incoming
   * edges start `skipped`, so only this trigger's paths run. When absent, every start node runs.
   */
  trigger?: string;
}

/** Options of one {@link WorkflowEngine.execute} call. */
export interface ExecuteOptions {
  /**
   * Cancels the run when aborted: running attempts see `ctx.signal` abort with `WEFT_E_CANCELLED`
   * and are finalized, other unfinished nodes become `cancelled`, the run `cancelled`. Passing an
   * already-aborted signal cancels a `waiting` or `paused` run.
   */
  signal?: AbortSignal;
  /**
   * Asked before each node starts (and before a retry's backoff); once it returns true no more
   * nodes start, running attempts finish, and the run ends `paused`. `execute` again continues it.
   */
  shouldPause?: () => boolean;
}

const DEFAULT_ABORT_GRACE_MS = 2000;

const TERMINAL_RUN = new Set(["succeeded", "failed", "cancelled"]);

/**
 * Runs workflow definitions. The engine is pure: run state is plain JSON passed in and handed
 * back, so the runtime can checkpoint it (in `attemptFinished`) and continue it in any process.
 *
 * How a run executes:
 * - A node is ready when its incoming edges are resolved (`join: "all"`, the default) or when one
 *   is taken (`join: "any"`); a node none of whose incoming edges is taken is `skipped`, and skips
 *   propagate. Ready nodes start in the order they became ready, up to the concurrency limit.
 * - An attempt runs `preprocess` → `execute` → `postprocess` in sequence, then `finalize` once.
 *   Failed attempts whose error is retryable are retried under the node's retry policy; each
 *   retry is a new attempt through all four phases.
 * - A timed-out or cancelled attempt ends once its phases return, or `abortGraceMs` after the abort
 *   (then it is abandoned); only then does `finalize` run, its slot free up and a retry start.
 * - When a node fails with `onError: "fail"`, the run fails: no new node starts, running attempts
 *   finish (without further retries), and unfinished nodes become `cancelled`.
 * - On success the run's output is `{ <nodeId>: output }` of every sink node (no outgoing edges)
 *   that succeeded.
 *
 * `execute` takes ownership of `state`: it mutates it in place and returns the same object, and
 * events carry that object by reference, so a subscriber must serialise or copy it before it
 * awaits anything.
 */
export class WorkflowEngine {
  /** The registry node types are resolved from. */
  readonly registry: StrategyRegistry;
  readonly #settings: SchedulerSettings;
  readonly #graphs = new WeakMap<WorkflowDefinition, WorkflowGraph>();

  constructor(options: WorkflowEngineOptions) {
    this.registry = options.registry;
    const subscribers =
      options.subscriber === undefined
        ? []
        : Array.isArray(options.subscriber)
          ? options.subscriber
          : [options.subscriber];
    this.#settings = {
      registry: options.registry,
      concurrency: options.concurrency ?? 8,
      subscribers: subscriberLists(subscribers),
      now: options.now ?? (() => new Date()),
      sleep: options.sleep ?? abortableSleep,
      random: options.random ?? Math.random,
      abortGraceMs: options.abortGraceMs ?? DEFAULT_ABORT_GRACE_MS,
      credentials: options.credentials,
      services: options.services,
    };
  }

  #graph(definition: WorkflowDefinition): WorkflowGraph {
    let graph = this.#graphs.get(definition);
    if (graph === undefined) {
      graph = compileWorkflow(definition, this.registry);
      this.#graphs.set(definition, graph);
    }
    return graph;
  }

  /**
   * Validates `definition` (throws `WEFT_E_INVALID_WORKFLOW` listing every issue) and returns the
   * state of a new run: status `running`, every node `pending`, every edge `pending`.
   */
  createRun(options: CreateRunOptions): RunState {
    const graph = this.#graph(options.definition);
    const nodes: Record<string, NodeState> = {};
    for (const node of graph.nodes) nodes[node.id] = { status: "pending", attempts: 0 };
    if (options.trigger !== undefined) {
      const trigger = graph.byId.get(options.trigger);
      if (trigger === undefined || trigger.descriptor.category !== "trigger") {
        throw new WeftError(
          "WEFT_E_UNKNOWN_TRIGGER",
          `Node ${options.trigger} is not a trigger node of this workflow`,
          {
            runId: options.runId,
            details: { trigger: options.trigger },
          },
        );
      }
      for (const node of graph.nodes) {
        if (node !== trigger && node.descriptor.category === "trigger" && node.in.length === 0) {
          (nodes[node.id] as NodeState).status = "skipped";
        }
      }
    }
    const edges: RunState["edges"] = {};
    for (const edge of graph.edges) edges[edge.id] = "pending";
    return {
      schemaVersion: 1,
      runId: options.runId,
      workflowId: options.workflowId,
      status: "running",
      startedAt: this.#settings.now().toISOString(),
      input: options.input ?? null,
      vars: { ...options.definition.vars, ...options.vars },
      nodes,
      edges,
    };
  }

  /**
   * Drives the run until it is terminal (`succeeded`, `failed`, `cancelled`), `waiting` (every
   * remaining path blocked on suspended nodes) or `paused`. Nodes found `running` (an attempt
   * interrupted by a crashed process) run again as a new attempt with the same `idempotencyKey`.
   * A terminal state is returned unchanged. Rejects only when a subscriber throws (with that
   * error) or the state does not fit the definition (`WEFT_E_INVALID_RUN_STATE`).
   */
  async execute(definition: WorkflowDefinition, state: RunState, options: ExecuteOptions = {}): Promise<RunState> {
    const graph = this.#graph(definition);
    if ((state as { schemaVersion?: unknown }).schemaVersion !== 1) {
      throw new WeftError("WEFT_E_INVALID_RUN_STATE", "Run state has an unknown schemaVersion", {
        runId: state.runId,
        details: { schemaVersion: ((state as { schemaVersion?: unknown }).schemaVersion ?? null) as Json },
      });
    }
    if (TERMINAL_RUN.has(state.status)) return state;
    let fresh = state.status === "running";
    if (fresh) for (const id in state.nodes) if ((state.nodes[id] as NodeState).attempts !== 0) fresh = false;
    const concurrency = definition.settings?.concurrency ?? this.#settings.concurrency;
    return new RunScheduler(graph, state, this.#settings, options, concurrency).run(fresh);
  }

  /**
   * Continues a node that suspended: it gets a new attempt (attempt number incremented) whose
   * `ctx.resume` is `payload`, then the run executes as with {@link WorkflowEngine.execute}.
   * Throws `WEFT_E_INVALID_RESUME` when the node does not exist or is not `waiting`.
   */
  async resume(
    definition: WorkflowDefinition,
    state: RunState,
    nodeId: string,
    payload: Json,
    options: ExecuteOptions = {},
  ): Promise<RunState> {
    const graph = this.#graph(definition);
    const node = state.nodes[nodeId];
    if (node === undefined || !graph.byId.has(nodeId) || node.status !== "waiting") {
      throw new WeftError(
        "WEFT_E_INVALID_RESUME",
        node === undefined || !graph.byId.has(nodeId)
          ? `Run ${state.runId} has no node ${nodeId}`
          : `Node ${nodeId} of run ${state.runId} is ${node.status}, not waiting`,
        { runId: state.runId, nodeId, details: { status: node?.status ?? null } },
      );
    }
    node.status = "pending";
    node.resume = payload;
    delete node.wait;
    if (state.status === "waiting") state.status = "running";
    return this.execute(definition, state, options);
  }
}

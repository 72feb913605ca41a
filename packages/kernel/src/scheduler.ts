// One `execute` call of one run: the ready queue, the concurrency limit, edge resolution, retries,
// cancel and pause. All per-node bookkeeping is in typed arrays indexed like the graph's nodes,
// so a scheduling step costs O(edges of the node that finished), never O(nodes).
import type { DependencyContainer } from "tsyringe";
import { type AbortHooks, outcomeOfError, runAttemptPhases, runFinalize } from "./attempt.ts";
import { AttemptContext, AttemptLogger, type CredentialResolver, NodeCredentials, RunServices } from "./context.ts";
import type {
  AttemptFinishedEvent,
  AttemptOutcome,
  ErrorInfo,
  Json,
  LogEntry,
  NodeState,
  NodeStatus,
  RunState,
  RunSubscriber,
} from "./contracts.ts";
import { WeftError } from "./errors.ts";
import { type ExpressionScope, resolveTemplates } from "./expressions.ts";
import type { GraphEdge, GraphNode, WorkflowGraph } from "./graph.ts";
import type { StrategyRegistry } from "./registry.ts";
import { retryDelay, shouldRetry } from "./retry.ts";

type Listener<K extends keyof RunSubscriber> = (event: Parameters<NonNullable<RunSubscriber[K]>>[0]) => unknown;

/** The subscribers' methods, grouped per event so an event nobody listens to costs nothing. */
export type SubscriberLists = { [K in keyof RunSubscriber]-?: Listener<K>[] };

const EVENTS = [
  "runStarted",
  "nodeStarted",
  "attemptFinished",
  "nodeSkipped",
  "finalizeFailed",
  "runSuspended",
  "runFinished",
] as const satisfies readonly (keyof RunSubscriber)[];

/** Groups subscriber methods per event, keeping each bound to its subscriber. */
export function subscriberLists(subscribers: RunSubscriber[]): SubscriberLists {
  const lists = {} as Record<string, Listener<keyof RunSubscriber>[]>;
  for (const event of EVENTS) {
    lists[event] = subscribers
      .filter((s) => typeof s[event] === "function")
      .map((s) => (payload: unknown) => (s[event] as (p: unknown) => unknown).call(s, payload));
  }
  return lists as SubscriberLists;
}

/** What the engine hands every run. */
export interface SchedulerSettings {
  registry: StrategyRegistry;
  concurrency: number;
  subscribers: SubscriberLists;
  now: () => Date;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  random: () => number;
  /** How long an aborted attempt gets to return before it is abandoned. */
  abortGraceMs: number;
  credentials: CredentialResolver | undefined;
  services: ((container: DependencyContainer) => void) | undefined;
}

interface ExecuteControls {
  signal?: AbortSignal;
  shouldPause?: () => boolean;
}

/** Nodes that became ready or were skipped by one resolution step. */
interface Resolution {
  ready: GraphNode[];
  skipped: GraphNode[];
}

interface AttemptRecord {
  attempt: number;
  outcome: AttemptOutcome;
  config: unknown;
  logs: LogEntry[];
  startedAt: string;
  finishedAt: string;
}

const EMPTY_INPUTS: Readonly<Record<string, Json>> = Object.freeze({});
const noop = () => {};

// JSONata's truthiness: empty arrays/objects and empty strings are false, arrays are true when
// any member is.
function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(truthy);
  if (typeof value === "object" && value !== null) return Object.keys(value).length > 0;
  return Boolean(value);
}

/** Drives one run for one `execute` call. Internal to the kernel. */
export class RunScheduler {
  readonly #graph: WorkflowGraph;
  readonly #state: RunState;
  readonly #settings: SchedulerSettings;
  readonly #events: SubscriberLists;
  readonly #controls: ExecuteControls;
  readonly #limit: number;
  readonly #unresolved: Int32Array;
  readonly #taken: Int32Array;
  readonly #queued: Uint8Array;
  readonly #ready: GraphNode[] = [];
  #head = 0;
  #inFlight = 0;
  /** Aborted on cancel: every `ctx.signal` without a timeout is this controller's signal. */
  readonly #controller = new AbortController();
  /** Aborted when the run stops early (cancel, failure): ends retry backoffs. */
  readonly #stop = new AbortController();
  readonly #hooks: AbortHooks = new Set();
  readonly #services: RunServices;
  #cancelled: WeftError | undefined;
  #failure: ErrorInfo | undefined;
  #fatal: { error: unknown } | undefined;
  #paused = false;
  #idle: () => void = noop;
  #chain: Promise<void> = Promise.resolve();
  #view: Record<string, { output?: Json; status: NodeStatus }> | undefined;
  #scope: ExpressionScope | undefined;
  #lastMs = Number.NaN;
  #lastIso = "";

  constructor(
    graph: WorkflowGraph,
    state: RunState,
    settings: SchedulerSettings,
    controls: ExecuteControls,
    concurrency: number,
  ) {
    this.#graph = graph;
    this.#state = state;
    this.#settings = settings;
    this.#events = settings.subscribers;
    this.#controls = controls;
    this.#limit = Math.max(1, concurrency);
    const n = graph.nodes.length;
    this.#unresolved = new Int32Array(n);
    this.#taken = new Int32Array(n);
    this.#queued = new Uint8Array(n);
    this.#services = new RunServices(() => {
      const container = settings.registry.createRunContainer();
      settings.services?.(container);
      return container;
    });
  }

  /** Runs until nothing more can happen in this call; returns the (mutated) state. */
  async run(fresh: boolean): Promise<RunState> {
    const state = this.#state;
    state.status = "running";
    delete state.error;
    delete state.finishedAt;
    const signal = this.#controls.signal;
    const onAbort = () => this.#cancel(signal?.reason);
    try {
      if (fresh && this.#events.runStarted.length > 0) {
        await this.#notify(this.#events.runStarted, { runId: state.runId, state });
      }
      if (signal?.aborted) this.#cancel(signal.reason);
      else signal?.addEventListener("abort", onAbort, { once: true });
      if (this.#cancelled === undefined) await this.#reconcile();
      const idle = new Promise<void>((resolve) => {
        this.#idle = resolve;
      });
      this.#fill();
      await idle;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
    await this.#chain;
    if (this.#fatal) throw this.#fatal.error;
    await this.#finish();
    return state;
  }

  // -------------------------------------------------------------------------------------------
  // Starting nodes
  // -------------------------------------------------------------------------------------------

  #fill(): void {
    while (this.#inFlight < this.#limit && this.#head < this.#ready.length) {
      if (this.#cancelled || this.#failure || this.#fatal || this.#paused) break;
      if (this.#controls.shouldPause?.() === true) {
        this.#paused = true;
        break;
      }
      const node = this.#ready[this.#head++] as GraphNode;
      const ns = this.#state.nodes[node.id] as NodeState;
      if (ns.status !== "pending") continue;
      this.#inFlight++;
      this.#runNode(node, ns).then(this.#taskDone, this.#taskFailed);
    }
    if (this.#head === this.#ready.length && this.#head > 0) {
      this.#ready.length = 0;
      this.#head = 0;
    }
    if (this.#inFlight === 0) this.#idle();
  }

  readonly #taskDone = (): void => {
    this.#inFlight--;
    this.#fill();
  };

  // Only a subscriber can make a node task reject: stop everything and rethrow from `run`.
  readonly #taskFailed = (error: unknown): void => {
    if (this.#fatal === undefined) {
      this.#fatal = { error };
      this.#cancel(new WeftError("WEFT_E_CANCELLED", "Run execution stopped: a subscriber failed", { cause: error }));
    }
    this.#inFlight--;
    this.#fill();
  };

  #enqueue(nodes: GraphNode[]): void {
    for (const node of nodes) this.#ready.push(node);
  }

  async #runNode(node: GraphNode, ns: NodeState): Promise<void> {
    for (;;) {
      const record = await this.#attempt(node, ns);
      let outcome = record.outcome;
      if (outcome.status === "cancelled" && this.#cancelled === undefined) {
        // The strategy threw a cancellation of its own: that is a failure, not a run cancel.
        outcome = {
          status: "failed",
          error: { code: "WEFT_E_CANCELLED", message: "The node cancelled itself", retryable: false, nodeId: node.id },
        };
        record.outcome = outcome;
      }
      if (
        outcome.status === "failed" &&
        node.retry !== undefined &&
        shouldRetry(node.retry, ns.attempts, outcome.error) &&
        !this.#stopping()
      ) {
        const delay = retryDelay(node.retry, ns.attempts, outcome.error, this.#settings.random);
        ns.error = outcome.error;
        await this.#attemptFinished(node, record, delay);
        if (this.#controls.shouldPause?.() === true) {
          this.#paused = true;
          ns.status = "pending";
          this.#touch(node, ns);
          return;
        }
        try {
          await this.#settings.sleep(delay, this.#stop.signal);
        } catch {
          // Backoff ended by cancel or run failure: the node is closed in #finish.
        }
        if (this.#stopping()) return;
        continue;
      }
      let resolution = this.#settle(node, ns, outcome, record.finishedAt);
      if (resolution instanceof Promise) resolution = await resolution;
      await this.#attemptFinished(node, record, undefined);
      await this.#skippedEvents(resolution.skipped);
      this.#enqueue(resolution.ready);
      return;
    }
  }

  #stopping(): boolean {
    return this.#cancelled !== undefined || this.#failure !== undefined || this.#fatal !== undefined;
  }

  async #attempt(node: GraphNode, ns: NodeState): Promise<AttemptRecord> {
    const state = this.#state;
    const attempt = ++ns.attempts;
    const startedAt = this.#iso();
    ns.status = "running";
    ns.startedAt ??= startedAt;
    this.#touch(node, ns);
    if (this.#events.nodeStarted.length > 0) {
      await this.#notify(this.#events.nodeStarted, {
        runId: state.runId,
        nodeId: node.id,
        nodeType: node.node.type,
        attempt,
        state,
      });
    }
    const site = { runId: state.runId, nodeId: node.id, plugin: node.plugin };
    let controller: AbortController | undefined;
    let signal = this.#controller.signal;
    if (node.timeoutMs !== undefined) {
      controller = new AbortController();
      signal = controller.signal;
      if (this.#controller.signal.aborted) controller.abort(this.#controller.signal.reason);
    }
    let config: unknown = node.config;
    let outcome: AttemptOutcome | undefined;
    if (node.templated) {
      try {
        config = await resolveTemplates(node.config, this.#scopeFor());
      } catch (error) {
        outcome = outcomeOfError(error, site);
      }
    }
    const logger = new AttemptLogger(this.#settings.now);
    const ctx = new AttemptContext({
      runId: state.runId,
      workflowId: state.workflowId,
      nodeId: node.id,
      nodeType: node.node.type,
      attempt,
      config,
      input: state.input,
      inputs: this.#inputsOf(node),
      signal,
      logger,
      resume: ns.resume,
      credentials: new NodeCredentials(state.runId, node.id, node.credential, this.#settings.credentials),
      services: this.#services,
    });
    // The node's concurrency slot is held until this returns: until the phases returned, or their
    // grace period after an abort ran out.
    outcome ??= await runAttemptPhases(node.strategy, ctx, site, this.#hooks, {
      timeoutMs: node.timeoutMs,
      graceMs: this.#settings.abortGraceMs,
      controller,
    });
    if (node.strategy.finalize !== undefined) {
      const finalizeError = await runFinalize(node.strategy, ctx, outcome, site);
      if (finalizeError !== undefined) {
        logger.error(`finalize failed: ${finalizeError.message}`, { code: finalizeError.code });
        if (this.#events.finalizeFailed.length > 0) {
          await this.#notify(this.#events.finalizeFailed, {
            runId: state.runId,
            nodeId: node.id,
            attempt,
            error: finalizeError,
          });
        }
      }
    }
    logger.close();
    return {
      attempt,
      outcome,
      config,
      logs: logger.entries,
      startedAt,
      finishedAt: this.#iso(),
    };
  }

  // Many attempts finish within one millisecond; formatting the time once per ms saves most of it.
  #iso(): string {
    const at = this.#settings.now();
    const ms = at.getTime();
    if (ms !== this.#lastMs) {
      this.#lastMs = ms;
      this.#lastIso = at.toISOString();
    }
    return this.#lastIso;
  }

  #inputsOf(node: GraphNode): Readonly<Record<string, Json>> {
    if (node.in.length === 0) return EMPTY_INPUTS;
    const inputs: Record<string, Json> = {};
    for (const edge of node.in) {
      const source = this.#state.nodes[edge.source.id] as NodeState;
      if (source.status === "succeeded") inputs[edge.source.id] = source.output ?? null;
    }
    return inputs;
  }

  // -------------------------------------------------------------------------------------------
  // Settling a node and resolving its edges
  // -------------------------------------------------------------------------------------------

  #settle(
    node: GraphNode,
    ns: NodeState,
    outcome: AttemptOutcome,
    finishedAt: string,
  ): Resolution | Promise<Resolution> {
    ns.finishedAt = finishedAt;
    switch (outcome.status) {
      case "succeeded":
        ns.status = "succeeded";
        ns.output = outcome.output;
        ns.port = outcome.port;
        delete ns.error;
        delete ns.wait;
        break;
      case "failed":
        ns.error = outcome.error;
        if (node.onError === "fail") {
          ns.status = "failed";
          this.#fail(outcome.error);
        } else {
          ns.status = "succeeded";
          ns.output = outcome.error as unknown as Json;
          ns.port = node.onError === "route" ? "error" : "default";
        }
        break;
      case "suspended":
        ns.status = "waiting";
        ns.wait = outcome.wait;
        delete ns.resume;
        break;
      case "cancelled":
        ns.status = "cancelled";
        break;
    }
    this.#touch(node, ns);
    if (ns.status !== "succeeded" && ns.status !== "failed") return { ready: [], skipped: [] };
    return this.#resolveOutgoing(node, ns);
  }

  #resolveOutgoing(node: GraphNode, ns: NodeState): Resolution | Promise<Resolution> {
    if (node.conditional && ns.status === "succeeded") return this.#resolveConditional(node, ns);
    const resolution: Resolution = { ready: [], skipped: [] };
    const succeeded = ns.status === "succeeded";
    for (const edge of node.out) this.#resolveEdge(edge, succeeded && edge.port === ns.port, resolution);
    this.#propagateSkips(resolution);
    return resolution;
  }

  // Conditions are evaluated first and applied together afterwards, so the state never shows a
  // node half-resolved across an await.
  async #resolveConditional(node: GraphNode, ns: NodeState): Promise<Resolution> {
    const scope = this.#scopeFor();
    const decisions: boolean[] = [];
    const failures: { edge: GraphEdge; error: ErrorInfo }[] = [];
    for (const edge of node.out) {
      if (edge.port !== ns.port || this.#state.edges[edge.id] !== "pending") decisions.push(false);
      else if (edge.condition === undefined) decisions.push(true);
      else {
        try {
          decisions.push(truthy(await edge.condition.evaluate(scope)));
        } catch (error) {
          decisions.push(false);
          const cause = WeftError.from(error);
          failures.push({
            edge,
            error: new WeftError("WEFT_E_EXPRESSION", `Condition of edge ${edge.id} failed: ${cause.message}`, {
              nodeId: edge.target.id,
              runId: this.#state.runId,
              details: { edgeId: edge.id, ...(cause.details as Record<string, Json> | undefined) },
            }).toJSON(),
          });
        }
      }
    }
    const resolution: Resolution = { ready: [], skipped: [] };
    for (const { edge, error } of failures) {
      const target = this.#state.nodes[edge.target.id] as NodeState;
      if (target.status === "pending" && this.#queued[edge.target.index] === 0) {
        target.status = "failed";
        target.error = error;
        target.finishedAt = this.#iso();
        this.#touch(edge.target, target);
      }
      this.#fail(error);
    }
    node.out.forEach((edge, i) => {
      this.#resolveEdge(edge, decisions[i] === true, resolution);
    });
    this.#propagateSkips(resolution);
    return resolution;
  }

  #resolveEdge(edge: GraphEdge, taken: boolean, resolution: Resolution): void {
    const edges = this.#state.edges;
    if (edges[edge.id] !== "pending") return;
    edges[edge.id] = taken ? "taken" : "not_taken";
    const index = edge.target.index;
    this.#unresolved[index] = (this.#unresolved[index] as number) - 1;
    if (taken) this.#taken[index] = (this.#taken[index] as number) + 1;
    this.#decide(edge.target, resolution);
  }

  // A pending node whose inputs are decided either becomes ready or is skipped (once).
  #decide(node: GraphNode, resolution: Resolution): void {
    const index = node.index;
    const ns = this.#state.nodes[node.id] as NodeState;
    if (ns.status !== "pending" || this.#queued[index] === 1) return;
    const unresolved = this.#unresolved[index] as number;
    const taken = this.#taken[index] as number;
    if (node.in.length === 0 || (taken > 0 && (node.join === "any" || unresolved === 0))) {
      this.#queued[index] = 1;
      resolution.ready.push(node);
    } else if (unresolved === 0) {
      ns.status = "skipped";
      this.#touch(node, ns);
      resolution.skipped.push(node);
    }
  }

  // Iterative, so a long chain of skips cannot overflow the stack.
  #propagateSkips(resolution: Resolution): void {
    for (let i = 0; i < resolution.skipped.length; i++) {
      for (const edge of (resolution.skipped[i] as GraphNode).out) this.#resolveEdge(edge, false, resolution);
    }
  }

  // Rebuilds the counters from a given state (fresh, paused, resumed or crashed) and queues what
  // can run, in definition order.
  async #reconcile(): Promise<void> {
    const { nodes, edges } = this.#graph;
    const state = this.#state;
    for (const node of nodes) {
      const ns = state.nodes[node.id];
      if (ns === undefined) {
        throw new WeftError("WEFT_E_INVALID_RUN_STATE", `Run state has no entry for node ${node.id}`, {
          runId: state.runId,
          nodeId: node.id,
        });
      }
      // An attempt interrupted by a crash runs again as a new attempt.
      if (ns.status === "running") ns.status = "pending";
    }
    for (const edge of edges) {
      const resolved = state.edges[edge.id] ?? "pending";
      state.edges[edge.id] = resolved;
      const index = edge.target.index;
      if (resolved === "pending") this.#unresolved[index] = (this.#unresolved[index] as number) + 1;
      else if (resolved === "taken") this.#taken[index] = (this.#taken[index] as number) + 1;
    }
    const resolution: Resolution = { ready: [], skipped: [] };
    for (const node of nodes) {
      const ns = state.nodes[node.id] as NodeState;
      if (ns.status === "succeeded" || ns.status === "failed" || ns.status === "skipped") {
        if (!node.out.some((edge) => state.edges[edge.id] === "pending")) continue;
        const part = ns.status === "skipped" ? this.#skipOutgoing(node) : await this.#resolveOutgoing(node, ns);
        resolution.ready.push(...part.ready);
        resolution.skipped.push(...part.skipped);
      }
    }
    for (const node of nodes) this.#decide(node, resolution);
    this.#propagateSkips(resolution);
    await this.#skippedEvents(resolution.skipped);
    this.#enqueue(resolution.ready);
  }

  #skipOutgoing(node: GraphNode): Resolution {
    const resolution: Resolution = { ready: [], skipped: [] };
    for (const edge of node.out) this.#resolveEdge(edge, false, resolution);
    this.#propagateSkips(resolution);
    return resolution;
  }

  // -------------------------------------------------------------------------------------------
  // Stopping: failure, cancel, the end of the call
  // -------------------------------------------------------------------------------------------

  #fail(error: ErrorInfo): void {
    if (this.#failure !== undefined) return;
    this.#failure = error;
    this.#stop.abort(new WeftError("WEFT_E_NODE_FAILED", "The run failed"));
  }

  #cancel(reason: unknown): void {
    if (this.#cancelled !== undefined) return;
    const error =
      reason instanceof WeftError && reason.code === "WEFT_E_CANCELLED"
        ? reason
        : new WeftError("WEFT_E_CANCELLED", "The run was cancelled", { runId: this.#state.runId, cause: reason });
    this.#cancelled = error;
    this.#controller.abort(error);
    this.#stop.abort(error);
    for (const hook of [...this.#hooks]) hook(error);
  }

  async #finish(): Promise<void> {
    const state = this.#state;
    const events = this.#events;
    const close = (status: "cancelled") => {
      for (const node of this.#graph.nodes) {
        const ns = state.nodes[node.id] as NodeState;
        if (ns.status === "pending" || ns.status === "running" || ns.status === "waiting") ns.status = status;
      }
    };
    if (this.#cancelled !== undefined) {
      close("cancelled");
      state.status = "cancelled";
      state.error = this.#cancelled.toJSON();
    } else if (this.#failure !== undefined) {
      close("cancelled");
      state.status = "failed";
      state.error = this.#failure;
    } else if (this.#paused) {
      state.status = "paused";
    } else {
      const waiting: string[] = [];
      let unfinished = false;
      const output: Record<string, Json> = {};
      for (const node of this.#graph.nodes) {
        const ns = state.nodes[node.id] as NodeState;
        if (ns.status === "waiting") waiting.push(node.id);
        else if (ns.status === "pending" || ns.status === "running") unfinished = true;
        else if (ns.status === "succeeded" && node.out.length === 0) output[node.id] = ns.output ?? null;
      }
      if (waiting.length > 0) {
        state.status = "waiting";
        if (events.runSuspended.length > 0)
          await this.#notify(events.runSuspended, { runId: state.runId, waiting, state });
        return;
      }
      if (unfinished) {
        close("cancelled");
        state.status = "failed";
        state.error = new WeftError("WEFT_E_INTERNAL", "The run stopped with nodes that can never become ready", {
          runId: state.runId,
        }).toJSON();
      } else {
        state.status = "succeeded";
        state.output = output;
      }
    }
    if (state.status === "paused") return;
    state.finishedAt = this.#iso();
    if (events.runFinished.length > 0) {
      await this.#notify(events.runFinished, { runId: state.runId, status: state.status, state });
    }
    if (this.#fatal) throw this.#fatal.error;
  }

  // -------------------------------------------------------------------------------------------
  // Events and expression scope
  // -------------------------------------------------------------------------------------------

  // Serialised through one chain so checkpoints reach the subscriber in the order they happened.
  #notify<E>(listeners: ((event: E) => unknown)[], event: E): Promise<void> {
    const next = this.#chain.then(async () => {
      if (this.#fatal !== undefined) return;
      for (const listener of listeners) await listener(event);
    });
    this.#chain = next.then(noop, noop);
    return next;
  }

  #attemptFinished(node: GraphNode, record: AttemptRecord, retryInMs: number | undefined): Promise<void> | undefined {
    if (this.#events.attemptFinished.length === 0) return undefined;
    const event: AttemptFinishedEvent = {
      runId: this.#state.runId,
      nodeId: node.id,
      nodeType: node.node.type,
      attempt: record.attempt,
      outcome: record.outcome,
      config: record.config as Json,
      logs: record.logs,
      startedAt: record.startedAt,
      finishedAt: record.finishedAt,
      state: this.#state,
    };
    if (retryInMs !== undefined) event.retryInMs = retryInMs;
    return this.#notify(this.#events.attemptFinished, event);
  }

  async #skippedEvents(skipped: GraphNode[]): Promise<void> {
    if (skipped.length === 0 || this.#events.nodeSkipped.length === 0) return;
    for (const node of skipped) {
      await this.#notify(this.#events.nodeSkipped, { runId: this.#state.runId, nodeId: node.id, state: this.#state });
    }
  }

  #touch(node: GraphNode, ns: NodeState): void {
    const view = this.#view?.[node.id];
    if (view === undefined) return;
    view.status = ns.status;
    view.output = ns.output;
  }

  #scopeFor(): ExpressionScope {
    if (this.#scope === undefined) {
      const view: Record<string, { output?: Json; status: NodeStatus }> = Object.create(null);
      for (const node of this.#graph.nodes) {
        const ns = this.#state.nodes[node.id] as NodeState;
        view[node.id] = { output: ns.output, status: ns.status };
      }
      this.#view = view;
      const state = this.#state;
      this.#scope = {
        $input: state.input,
        $nodes: view,
        $run: { id: state.runId, workflowId: state.workflowId, startedAt: state.startedAt },
        $vars: state.vars,
      };
    }
    return this.#scope;
  }
}

// Settling a node and resolving its edges: which nodes become ready and which are skipped. All
// per-node bookkeeping is in typed arrays indexed like the graph's nodes, so a step costs
// O(edges of the node that finished), never O(nodes).
import type { AttemptOutcome, ErrorInfo, Json, NodeState, RunState } from "./contracts.ts";
import { WeftError } from "./errors.ts";
import type { GraphEdge, GraphNode, WorkflowGraph } from "./graph.ts";
import type { RunClock } from "./run-clock.ts";
import type { RunStop } from "./run-stop.ts";
import type { RunView } from "./run-view.ts";

/** Nodes that became ready or were skipped by one resolution step. */
export interface Resolution {
  ready: GraphNode[];
  skipped: GraphNode[];
}

// JSONata's truthiness: empty arrays/objects and empty strings are false, arrays are true when
// any member is.
function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(truthy);
  if (typeof value === "object" && value !== null) return Object.keys(value).length > 0;
  return Boolean(value);
}

/** The edge counters of one run and the rules that move nodes from pending on. Internal to the kernel. */
export class EdgeResolver {
  readonly #graph: WorkflowGraph;
  readonly #state: RunState;
  readonly #view: RunView;
  readonly #clock: RunClock;
  readonly #stop: RunStop;
  readonly #unresolved: Int32Array;
  readonly #taken: Int32Array;
  readonly #queued: Uint8Array;

  constructor(graph: WorkflowGraph, state: RunState, view: RunView, clock: RunClock, stop: RunStop) {
    this.#graph = graph;
    this.#state = state;
    this.#view = view;
    this.#clock = clock;
    this.#stop = stop;
    const n = graph.nodes.length;
    this.#unresolved = new Int32Array(n);
    this.#taken = new Int32Array(n);
    this.#queued = new Uint8Array(n);
  }

  /** Records a final attempt's outcome on the node and resolves its outgoing edges. */
  settle(
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
          this.#stop.fail(outcome.error);
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
    this.#view.touch(node, ns);
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
    const scope = this.#view.scope();
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
        target.finishedAt = this.#clock.iso();
        this.#view.touch(edge.target, target);
      }
      this.#stop.fail(error);
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
      this.#view.touch(node, ns);
      resolution.skipped.push(node);
    }
  }

  // Iterative, so a long chain of skips cannot overflow the stack.
  #propagateSkips(resolution: Resolution): void {
    for (let i = 0; i < resolution.skipped.length; i++) {
      for (const edge of (resolution.skipped[i] as GraphNode).out) this.#resolveEdge(edge, false, resolution);
    }
  }

  // Rebuilds the counters from a given state (fresh, paused, resumed or crashed) and returns what
  // can run, in definition order.
  async reconcile(): Promise<Resolution> {
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
    return resolution;
  }

  #skipOutgoing(node: GraphNode): Resolution {
    const resolution: Resolution = { ready: [], skipped: [] };
    for (const edge of node.out) this.#resolveEdge(edge, false, resolution);
    this.#propagateSkips(resolution);
    return resolution;
  }
}

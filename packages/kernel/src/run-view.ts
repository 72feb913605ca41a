// What expressions see of a run: `$input`, `$nodes`, `$run`, `$vars`. Built on first use only (a
// workflow without templates or conditions never pays for it), then kept in step with node states.
import type { Json, NodeState, NodeStatus, RunState } from "./contracts.ts";
import type { ExpressionScope } from "./expressions.ts";
import type { GraphNode, WorkflowGraph } from "./graph.ts";

/** The expression scope of one run. Internal to the kernel. */
export class RunView {
  readonly #graph: WorkflowGraph;
  readonly #state: RunState;
  #view: Record<string, { output?: Json; status: NodeStatus }> | undefined;
  #scope: ExpressionScope | undefined;

  constructor(graph: WorkflowGraph, state: RunState) {
    this.#graph = graph;
    this.#state = state;
  }

  /** Mirrors a node's new status and output into the scope, once the scope exists. */
  touch(node: GraphNode, ns: NodeState): void {
    const view = this.#view?.[node.id];
    if (view === undefined) return;
    view.status = ns.status;
    view.output = ns.output;
  }

  scope(): ExpressionScope {
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

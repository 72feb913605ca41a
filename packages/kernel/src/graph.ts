// A workflow definition compiled once for scheduling: nodes and edges by index, adjacency lists,
// resolved strategies and compiled conditions, so each scheduling step is O(edges of one node).
import type { NodeTypeDescriptor, OnError, RetryPolicy, WorkflowDefinition, WorkflowNode } from "./contracts.ts";
import { WeftError } from "./errors.ts";
import { type CompiledExpression, compileExpression, hasTemplates } from "./expressions.ts";
import type { AnyNodeStrategy, StrategyRegistry } from "./registry.ts";
import { validate } from "./validate.ts";

/** A node ready for scheduling. Internal to the kernel. */
export interface GraphNode {
  readonly id: string;
  readonly index: number;
  readonly node: WorkflowNode;
  readonly descriptor: NodeTypeDescriptor;
  readonly strategy: AnyNodeStrategy;
  readonly plugin: string | undefined;
  readonly config: Record<string, unknown>;
  /** Whether the config holds `{{ }}` templates (if not, it is passed as is, without copying). */
  readonly templated: boolean;
  readonly retry: RetryPolicy | undefined;
  readonly timeoutMs: number | undefined;
  readonly onError: OnError;
  readonly join: "all" | "any";
  readonly credential: string | undefined;
  readonly out: GraphEdge[];
  readonly in: GraphEdge[];
  /** Whether any outgoing edge has a condition (resolution must then await JSONata). */
  readonly conditional: boolean;
}

/** An edge ready for scheduling. Internal to the kernel. */
export interface GraphEdge {
  readonly id: string;
  readonly source: GraphNode;
  readonly target: GraphNode;
  readonly port: string;
  readonly condition: CompiledExpression | undefined;
}

/** A validated, compiled workflow. Internal to the kernel. */
export interface WorkflowGraph {
  readonly nodes: GraphNode[];
  readonly byId: Map<string, GraphNode>;
  readonly edges: GraphEdge[];
  /** Whether any condition or template exists (if not, no expression scope is ever built). */
  readonly usesExpressions: boolean;
}

/** Validates and compiles a definition; throws `WEFT_E_INVALID_WORKFLOW` with every issue in `details`. */
export function compileWorkflow(definition: WorkflowDefinition, registry: StrategyRegistry): WorkflowGraph {
  const issues = validate(definition, registry);
  if (issues.length > 0) {
    const first = issues[0]?.message ?? "";
    throw new WeftError(
      "WEFT_E_INVALID_WORKFLOW",
      `Workflow ${definition.name} is not valid: ${first}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ""}`,
      { details: { issues: issues as never } },
    );
  }
  const nodes: GraphNode[] = [];
  const byId = new Map<string, GraphNode>();
  let usesExpressions = false;
  definition.nodes.forEach((node, index) => {
    const { descriptor, strategy } = registry.resolve(node.type, node.version);
    const config = node.data.config ?? {};
    const templated = hasTemplates(config);
    usesExpressions ||= templated;
    const graphNode: GraphNode = {
      id: node.id,
      index,
      node,
      descriptor,
      strategy,
      plugin: descriptor.plugin?.name,
      config,
      templated,
      retry: node.data.retry,
      timeoutMs: node.data.timeoutMs,
      onError: node.data.onError ?? "fail",
      join: node.data.join ?? "all",
      credential: node.data.credential,
      out: [],
      in: [],
      conditional: false,
    };
    nodes.push(graphNode);
    byId.set(node.id, graphNode);
  });
  const edges: GraphEdge[] = [];
  for (const edge of definition.edges) {
    const source = byId.get(edge.source) as GraphNode;
    const target = byId.get(edge.target) as GraphNode;
    const condition = edge.data?.condition === undefined ? undefined : compileExpression(edge.data.condition);
    const graphEdge: GraphEdge = { id: edge.id, source, target, port: edge.sourceHandle ?? "default", condition };
    if (condition) {
      usesExpressions = true;
      (source as { conditional: boolean }).conditional = true;
    }
    source.out.push(graphEdge);
    target.in.push(graphEdge);
    edges.push(graphEdge);
  }
  return { nodes, byId, edges, usesExpressions };
}

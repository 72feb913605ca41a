// Graph validation before save, publish and run: every problem at once, each with a stable code,
// the node or edge it concerns, and a sentence a workflow author can act on.
import type { NodeCatalog, NodeTypeDescriptor, WorkflowEdge, WorkflowNode } from "./contracts.ts";
import { workflowDefinitionSchema, workflowEdgeSchema, workflowNodeSchema } from "./definition.ts";
import { compileExpression, templateExpressions } from "./expressions.ts";

/** The codes {@link validate} reports (all in the kernel's error registry). */
export type ValidationCode =
  | "WEFT_E_INVALID_DEFINITION"
  | "WEFT_E_UNKNOWN_NODE_TYPE"
  | "WEFT_E_NODE_VERSION"
  | "WEFT_E_CONFIG_INVALID"
  | "WEFT_E_DUPLICATE_ID"
  | "WEFT_E_DANGLING_EDGE"
  | "WEFT_E_UNKNOWN_PORT"
  | "WEFT_E_CYCLE"
  | "WEFT_E_NO_TRIGGER"
  | "WEFT_E_UNREACHABLE"
  | "WEFT_E_INVALID_EXPRESSION";

/** One problem found in a workflow definition. */
export interface ValidationIssue {
  code: ValidationCode;
  /** A sentence saying what is wrong and where. */
  message: string;
  nodeId?: string;
  edgeId?: string;
  /** Where in the definition document, e.g. `["nodes", 2, "data", "config", "url"]`. */
  path?: (string | number)[];
}

/** The port every node may leave on when `onError: "route"`. */
export const ERROR_PORT = "error";

type Path = (string | number)[];

function shapeIssues(value: unknown, schema: typeof workflowNodeSchema | typeof workflowEdgeSchema, base: Path) {
  const parsed = schema.safeParse(value);
  if (parsed.success) return [];
  return parsed.error.issues.map(
    (issue): ValidationIssue => ({
      code: "WEFT_E_INVALID_DEFINITION",
      message: `${[...base, ...issue.path].join(".")}: ${issue.message}`,
      path: [...base, ...(issue.path as Path)],
    }),
  );
}

function idOf(value: unknown): string | undefined {
  const id = (value as { id?: unknown } | null)?.id;
  return typeof id === "string" ? id : undefined;
}

function expressionIssue(source: string, where: string, base: Omit<ValidationIssue, "code" | "message">) {
  try {
    compileExpression(source);
    return undefined;
  } catch (error) {
    return {
      ...base,
      code: "WEFT_E_INVALID_EXPRESSION",
      message: `${where}: ${(error as Error).message}`,
    } satisfies ValidationIssue;
  }
}

function templateIssues(value: unknown, path: Path, nodeId: string, issues: ValidationIssue[]): void {
  if (typeof value === "string") {
    for (const source of templateExpressions(value)) {
      const issue = expressionIssue(source, `Node ${nodeId} config ${path.slice(4).join(".")}`, { nodeId, path });
      if (issue) issues.push(issue);
    }
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => {
      templateIssues(item, [...path, i], nodeId, issues);
    });
  } else if (typeof value === "object" && value !== null) {
    for (const [key, item] of Object.entries(value)) templateIssues(item, [...path, key], nodeId, issues);
  }
}

/**
 * Checks a workflow definition against the installed node types and returns every problem found
 * (empty when it can run). Nodes and edges with a broken shape are reported and left out of the
 * graph checks, so one typo does not hide the rest. A trigger (start) node is any node whose type's
 * category is `"trigger"`.
 */
export function validate(definition: unknown, catalog: NodeCatalog): ValidationIssue[] {
  const parsed = workflowDefinitionSchema.safeParse(definition);
  const issues: ValidationIssue[] = [];
  const raw = (typeof definition === "object" && definition !== null ? definition : {}) as Record<string, unknown>;
  if (!parsed.success) {
    // Item-level problems are reported per node/edge below; report the rest here.
    for (const issue of parsed.error.issues) {
      const [head] = issue.path;
      if ((head === "nodes" || head === "edges") && issue.path.length > 1) continue;
      issues.push({
        code: "WEFT_E_INVALID_DEFINITION",
        message: `${issue.path.join(".") || "definition"}: ${issue.message}`,
        path: issue.path as Path,
      });
    }
  }
  const rawNodes = Array.isArray(raw.nodes) ? raw.nodes : [];
  const rawEdges = Array.isArray(raw.edges) ? raw.edges : [];

  const nodes = new Map<string, { node: WorkflowNode; index: number; descriptor?: NodeTypeDescriptor }>();
  rawNodes.forEach((value, index) => {
    const shape = shapeIssues(value, workflowNodeSchema, ["nodes", index]);
    const id = idOf(value);
    if (shape.length > 0) {
      for (const issue of shape) issues.push(id === undefined ? issue : { ...issue, nodeId: id });
      return;
    }
    const node = value as WorkflowNode;
    if (nodes.has(node.id)) {
      issues.push({
        code: "WEFT_E_DUPLICATE_ID",
        message: `Node id ${node.id} is used by more than one node`,
        nodeId: node.id,
        path: ["nodes", index, "id"],
      });
      return;
    }
    const entry: { node: WorkflowNode; index: number; descriptor?: NodeTypeDescriptor } = { node, index };
    nodes.set(node.id, entry);
    const installed = catalog.versions(node.type);
    if (installed.length === 0) {
      issues.push({
        code: "WEFT_E_UNKNOWN_NODE_TYPE",
        message: `Node ${node.id} has type ${node.type}, which no installed plugin provides`,
        nodeId: node.id,
        path: ["nodes", index, "type"],
      });
      return;
    }
    const descriptor = catalog.describe(node.type, node.version);
    if (descriptor === undefined) {
      issues.push({
        code: "WEFT_E_NODE_VERSION",
        message: `Node ${node.id} needs ${node.type} major ${node.version}; installed: ${installedMajors(catalog, node.type, installed)}`,
        nodeId: node.id,
        path: ["nodes", index, "version"],
      });
      return;
    }
    entry.descriptor = descriptor;
    const config = node.data.config ?? {};
    for (const problem of descriptor.validateConfig?.(config) ?? []) {
      const where = problem.path.length > 0 ? ` at ${problem.path.join(".")}` : "";
      issues.push({
        code: "WEFT_E_CONFIG_INVALID",
        message: `Node ${node.id} config${where}: ${problem.message}`,
        nodeId: node.id,
        path: ["nodes", index, "data", "config", ...problem.path],
      });
    }
    templateIssues(config, ["nodes", index, "data", "config"], node.id, issues);
  });

  const edgeIds = new Set<string>();
  const outgoing = new Map<string, string[]>();
  rawEdges.forEach((value, index) => {
    const shape = shapeIssues(value, workflowEdgeSchema, ["edges", index]);
    const id = idOf(value);
    if (shape.length > 0) {
      for (const issue of shape) issues.push(id === undefined ? issue : { ...issue, edgeId: id });
      return;
    }
    const edge = value as WorkflowEdge;
    if (edgeIds.has(edge.id)) {
      issues.push({
        code: "WEFT_E_DUPLICATE_ID",
        message: `Edge id ${edge.id} is used by more than one edge`,
        edgeId: edge.id,
        path: ["edges", index, "id"],
      });
      return;
    }
    edgeIds.add(edge.id);
    const condition = edge.data?.condition;
    if (condition !== undefined) {
      const issue = expressionIssue(condition, `Edge ${edge.id} condition`, {
        edgeId: edge.id,
        path: ["edges", index, "data", "condition"],
      });
      if (issue) issues.push(issue);
    }
    const source = nodes.get(edge.source);
    const target = nodes.get(edge.target);
    for (const [end, found] of [
      ["source", source],
      ["target", target],
    ] as const) {
      if (found === undefined) {
        issues.push({
          code: "WEFT_E_DANGLING_EDGE",
          message: `Edge ${edge.id} has ${end} ${edge[end]}, which is not a node of this workflow`,
          edgeId: edge.id,
          path: ["edges", index, end],
        });
      }
    }
    if (source === undefined || target === undefined) return;
    const port = edge.sourceHandle ?? "default";
    const descriptor = source.descriptor;
    if (descriptor && !descriptor.dynamicPorts && port !== ERROR_PORT && !descriptor.ports.includes(port)) {
      issues.push({
        code: "WEFT_E_UNKNOWN_PORT",
        message: `Edge ${edge.id} leaves port "${port}" of node ${edge.source} (${descriptor.type}), which has ports ${[...descriptor.ports, ERROR_PORT].map((p) => `"${p}"`).join(", ")}`,
        edgeId: edge.id,
        nodeId: edge.source,
        path: ["edges", index, "sourceHandle"],
      });
    }
    const targets = outgoing.get(edge.source);
    if (targets === undefined) outgoing.set(edge.source, [edge.target]);
    else targets.push(edge.target);
  });

  for (const cycle of cycles([...nodes.keys()], outgoing)) {
    issues.push({
      code: "WEFT_E_CYCLE",
      message: `Nodes ${cycle.join(" → ")} form a cycle`,
      nodeId: cycle[0],
    });
  }

  const triggers = [...nodes.values()].filter((entry) => entry.descriptor?.category === "trigger");
  if (triggers.length === 0 && nodes.size > 0) {
    issues.push({ code: "WEFT_E_NO_TRIGGER", message: "The workflow has no trigger node to start from" });
  } else if (nodes.size === 0 && parsed.success) {
    issues.push({ code: "WEFT_E_NO_TRIGGER", message: "The workflow has no nodes" });
  }
  if (triggers.length > 0) {
    const reached = new Set(triggers.map((entry) => entry.node.id));
    const stack = [...reached];
    for (let id = stack.pop(); id !== undefined; id = stack.pop()) {
      for (const next of outgoing.get(id) ?? []) {
        if (!reached.has(next)) {
          reached.add(next);
          stack.push(next);
        }
      }
    }
    for (const { node, index } of nodes.values()) {
      if (!reached.has(node.id)) {
        issues.push({
          code: "WEFT_E_UNREACHABLE",
          message: `Node ${node.id} cannot be reached from any trigger node`,
          nodeId: node.id,
          path: ["nodes", index],
        });
      }
    }
  }
  return issues;
}

/** Strongly connected components with more than one node, or with a self-loop (Tarjan, iterative). */
function cycles(ids: string[], outgoing: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const found: string[][] = [];
  let counter = 0;
  for (const root of ids) {
    if (index.has(root)) continue;
    const work: { id: string; next: number }[] = [{ id: root, next: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1] as { id: string; next: number };
      const targets = outgoing.get(frame.id) ?? [];
      if (frame.next < targets.length) {
        const target = targets[frame.next++] as string;
        if (!index.has(target)) {
          index.set(target, counter);
          low.set(target, counter++);
          stack.push(target);
          onStack.add(target);
          work.push({ id: target, next: 0 });
        } else if (onStack.has(target)) {
          low.set(frame.id, Math.min(low.get(frame.id) as number, index.get(target) as number));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.id, Math.min(low.get(parent.id) as number, low.get(frame.id) as number));
      if (low.get(frame.id) === index.get(frame.id)) {
        const component: string[] = [];
        let member: string | undefined;
        do {
          member = stack.pop() as string;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.id);
        const selfLoop = component.length === 1 && targets.includes(frame.id);
        if (component.length > 1 || selfLoop) found.push(component.reverse());
      }
    }
  }
  return found;
}

/**
 * The installed majors of `type` for a message, each with the plugin package and version that
 * provides it when the descriptor says (`1 (@weft/plugin-http 1.4.0), 2 (...)`), so whoever
 * reads a version mismatch knows which package to install or upgrade.
 */
export function installedMajors(catalog: NodeCatalog, type: string, majors: number[]): string {
  return majors
    .map((major) => {
      const plugin = catalog.describe(type, major)?.plugin;
      return plugin === undefined ? String(major) : `${major} (${plugin.name} ${plugin.version})`;
    })
    .join(", ");
}

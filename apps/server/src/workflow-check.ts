// Graph validation at the API edge: a definition is checked against the installed node types before
// it is saved, published or run, and every problem is reported at once, grouped per node.
import { validate } from "@weft/kernel";
import type { ServerCatalog } from "./deps.ts";
import { ApiError, ServerErrorCode } from "./errors.ts";

export interface DefinitionIssue {
  code: string;
  message: string;
  nodeId?: string;
  edgeId?: string;
  path?: (string | number)[];
}

/** Every problem of `definition` against the catalog (empty when valid). */
export function definitionIssues(catalog: ServerCatalog, definition: unknown): DefinitionIssue[] {
  return validate(definition, catalog.registry) as DefinitionIssue[];
}

/** Issues grouped by node id (issues about no node in particular are not repeated here). */
export function issuesByNode(issues: DefinitionIssue[]): Record<string, DefinitionIssue[]> {
  const nodes: Record<string, DefinitionIssue[]> = {};
  for (const issue of issues) {
    if (issue.nodeId === undefined) continue;
    const list = nodes[issue.nodeId] ?? [];
    list.push(issue);
    nodes[issue.nodeId] = list;
  }
  return nodes;
}

/** Throws WEFT_E_INVALID_WORKFLOW (422) listing every issue when `definition` is not valid. */
export function assertValidDefinition(catalog: ServerCatalog, definition: unknown): void {
  const issues = definitionIssues(catalog, definition);
  if (issues.length === 0) return;
  const first = issues[0];
  throw new ApiError(
    ServerErrorCode.WorkflowInvalid,
    `the workflow definition is not valid: ${first?.message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ""}`,
    { issues, nodes: issuesByNode(issues) },
  );
}

/** The exact plugin versions the definition's node types come from (recorded on publish). */
export function pluginVersionsOf(
  catalog: ServerCatalog,
  definition: { nodes?: { type: string; version?: number }[] },
): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const node of definition.nodes ?? []) {
    const plugin = catalog.nodeType(node.type, node.version)?.plugin as { name: string; version: string } | undefined;
    if (plugin) versions[plugin.name] = plugin.version;
  }
  return versions;
}

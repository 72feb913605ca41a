// JSONata for nodes that evaluate user expressions at run time (filters, maps, conditions). Nodes see
// the same names templates do, built from what the attempt's context carries.
import type { ExpressionScope, Json, NodeContext } from "@weft/kernel";
import { evaluateExpression } from "@weft/kernel";

/**
 * The expression scope of a node attempt: `$input` (the run input, or `input` when given — it is
 * also the context `$`), `$nodes.<id>.output` for the upstream outputs in `ctx.inputs`, `$run`.
 * `$vars` is empty here: reference workflow variables through `{{ }}` templates in config instead.
 */
export function expressionScope(ctx: NodeContext, input?: Json): ExpressionScope {
  const nodes: Record<string, { output?: Json; status: "succeeded" }> = {};
  for (const [id, output] of Object.entries(ctx.inputs)) nodes[id] = { output, status: "succeeded" };
  return {
    $input: input === undefined ? ctx.input : input,
    $nodes: nodes,
    $run: { id: ctx.runId, workflowId: ctx.workflowId, startedAt: "" },
    $vars: {},
  };
}

/**
 * Evaluates a JSONata expression against a node attempt's scope (see {@link expressionScope}).
 * Rejects with a non-retryable `WEFT_E_EXPRESSION` error naming the expression and position.
 */
export function evaluate(ctx: NodeContext, expression: string, input?: Json): Promise<unknown> {
  return evaluateExpression(expression, expressionScope(ctx, input));
}

export { evaluateExpression };

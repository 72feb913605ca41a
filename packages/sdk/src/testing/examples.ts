// Every node documents examples; a plugin's tests run them all, so the documentation cannot rot.
import type { Json } from "@weft/kernel";
import type { NodeDefinition, NodeExample } from "../define.ts";
import { NodeError, SdkErrorCode } from "../errors.ts";
import { type RunNodeOptions, type RunNodeResult, runNode } from "./run-node.ts";

/** The result of one example. */
export interface ExampleResult extends RunNodeResult {
  name: string;
}

/** Adjusts an example before it runs: e.g. point its URL or credential at a local test server. */
export type ExampleOverrides = (example: NodeExample) => Partial<RunNodeOptions>;

function sameJson(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

/** JSON with object keys sorted, so documents compare by content, not key order. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

function mismatch(example: NodeExample, result: RunNodeResult): string | undefined {
  const expected = example.expect ?? {};
  const { outcome } = result;
  const status = expected.status ?? "succeeded";
  if (outcome.status !== status)
    return `ended ${outcome.status}${outcome.status === "failed" ? ` (${outcome.error.code}: ${outcome.error.message})` : ""}, expected ${status}`;
  if (outcome.status === "succeeded") {
    if (expected.port !== undefined && outcome.port !== expected.port)
      return `left on port "${outcome.port}", expected "${expected.port}"`;
    if (expected.output !== undefined && !sameJson(outcome.output, expected.output))
      return `output ${JSON.stringify(outcome.output)}, expected ${JSON.stringify(expected.output)}`;
  }
  if (outcome.status === "failed" && expected.code !== undefined && outcome.error.code !== expected.code)
    return `failed with ${outcome.error.code}, expected ${expected.code}`;
  return undefined;
}

/**
 * Runs every example a node documents through {@link runNode} and checks each ends as its `expect`
 * says (by default: succeeded). Throws `WEFT_E_EXAMPLE_FAILED` listing every example that did not.
 */
export async function runExamples(node: NodeDefinition, overrides?: ExampleOverrides): Promise<ExampleResult[]> {
  const results: ExampleResult[] = [];
  const failures: string[] = [];
  for (const example of node.examples) {
    const options: RunNodeOptions = {
      config: example.config as RunNodeOptions["config"],
      ...(example.input !== undefined ? { input: example.input } : {}),
      ...(example.inputs !== undefined ? { inputs: example.inputs } : {}),
      ...(example.credentials !== undefined ? { credentials: example.credentials } : {}),
      ...(example.resume !== undefined ? { resume: example.resume as Json } : {}),
      ...overrides?.(example),
    };
    const result = await runNode(node, options);
    results.push({ name: example.name, ...result });
    const problem = mismatch(example, result);
    if (problem) failures.push(`"${example.name}" ${problem}`);
  }
  if (failures.length > 0)
    throw new NodeError(
      SdkErrorCode.ExampleFailed,
      `${node.type}: ${failures.length} example(s) failed:\n  ${failures.join("\n  ")}`,
      { details: { type: node.type, failures } },
    );
  return results;
}

import { describe, expect, it } from "vitest";
import {
  compileExpression,
  type ExpressionScope,
  evaluateExpression,
  resolveTemplates,
  templateExpressions,
} from "./expressions.ts";

const scope: ExpressionScope = {
  $input: { severity: "high", hosts: ["a", "b"] },
  $nodes: { scan: { status: "succeeded", output: { count: 3, findings: [{ id: 1 }, { id: 2 }] } } },
  $run: { id: "r1", workflowId: "w1", startedAt: "2026-01-01T00:00:00.000Z" },
  $vars: { team: "soc" },
};

describe("expressions", () => {
  it("see $input (also as the context), $nodes, $run and $vars", async () => {
    expect(await evaluateExpression("$input.severity = 'high' and severity = 'high'", scope)).toBe(true);
    expect(await evaluateExpression("$nodes.scan.output.count * 2", scope)).toBe(6);
    expect(await evaluateExpression("$run.id & '/' & $vars.team", scope)).toBe("r1/soc");
  });

  it("return plain arrays, not JSONata sequences", async () => {
    const ids = await evaluateExpression("$nodes.scan.output.findings.id", scope);
    expect(ids).toEqual([1, 2]);
    expect(JSON.stringify(ids)).toBe("[1,2]");
  });

  it("raise WEFT_E_EXPRESSION on syntax and runtime errors", async () => {
    expect(() => compileExpression("1 +")).toThrow(expect.objectContaining({ code: "WEFT_E_EXPRESSION" }));
    await expect(evaluateExpression("$error('no')", scope)).rejects.toMatchObject({ code: "WEFT_E_EXPRESSION" });
  });

  it("stop runaway evaluations", async () => {
    await expect(evaluateExpression("($f := function($n) { $f($n + 1) }; $f(0))", scope)).rejects.toMatchObject({
      code: "WEFT_E_EXPRESSION",
    });
  });

  it("never reach JavaScript globals", async () => {
    expect(await evaluateExpression("$eval('1+1')", scope)).toBe(2);
    await expect(evaluateExpression("$process", scope)).resolves.toBeUndefined();
  });
});

describe("templates", () => {
  it("keep the type of a string that is exactly one template", async () => {
    const resolved = await resolveTemplates(
      { n: "{{ $nodes.scan.output.count }}", obj: "{{ {'a': {'b': 1}} }}", list: ["{{ $input.hosts }}"] },
      scope,
    );
    expect(resolved).toEqual({ n: 3, obj: { a: { b: 1 } }, list: [["a", "b"]] });
  });

  it("interpolate text, objects as JSON, missing values as nothing", async () => {
    expect(await resolveTemplates("{{ severity }} on {{ $input.hosts }}{{ $input.none }}!", scope)).toBe(
      'high on ["a","b"]!',
    );
  });

  it("leave values without templates untouched (same object)", async () => {
    const config = { url: "https://x", nested: { n: 1 } };
    expect(await resolveTemplates(config, scope)).toBe(config);
    expect(templateExpressions("a {{ x }} b {{ y.z }}")).toEqual(["x", "y.z"]);
  });
});

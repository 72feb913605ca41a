import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import * as kernel from "./index.ts";

it("reports the version of its package.json", () => {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  expect(kernel.VERSION).toBe(pkg.version);
});

it("exports the public surface the runtime and the SDK build on", () => {
  for (const name of [
    "WorkflowEngine",
    "StrategyRegistry",
    "WeftError",
    "KERNEL_ERRORS",
    "errorCodes",
    "validate",
    "workflowDefinitionSchema",
    "compileExpression",
    "evaluateExpression",
    "resolveTemplates",
    "suspend",
    "emit",
    "isSuspension",
    "registerBuiltins",
    "retryDelay",
  ]) {
    expect(kernel).toHaveProperty(name);
  }
});

// @weft/kernel's public surface: everything a runtime, the SDK or a plugin may touch.
import pkg from "../package.json" with { type: "json" };

/** The version of @weft/kernel that is running. */
export const VERSION: string = pkg.version;

export { MANUAL_TRIGGER, manualTriggerDescriptor, manualTriggerStrategy, registerBuiltins } from "./builtins.ts";
export type { CredentialResolver } from "./context.ts";
export type * from "./contracts.ts";
export {
  nodeDataSchema,
  retryPolicySchema,
  workflowDefinitionSchema,
  workflowEdgeSchema,
  workflowNodeSchema,
} from "./definition.ts";
export {
  type CreateRunOptions,
  type ExecuteOptions,
  WorkflowEngine,
  type WorkflowEngineOptions,
} from "./engine.ts";
export {
  type ErrorCodeSpec,
  errorCodes,
  KERNEL_ERRORS,
  type KernelErrorCode,
  WeftError,
  type WeftErrorDefaults,
  type WeftErrorOptions,
} from "./errors.ts";
export {
  type CompiledExpression,
  compileExpression,
  type ExpressionScope,
  evaluateExpression,
  hasTemplates,
  resolveTemplates,
  templateExpressions,
} from "./expressions.ts";
export { type Emitted, emit, isEmitted, isSuspension, suspend } from "./lifecycle.ts";
export {
  type AnyNodeStrategy,
  type RegisteredNodeType,
  StrategyRegistry,
  type StrategyRegistryOptions,
  strategyToken,
} from "./registry.ts";
export { abortableSleep, retryDelay } from "./retry.ts";
export { ERROR_PORT, type ValidationCode, type ValidationIssue, validate } from "./validate.ts";

// @weft/sdk: everything a plugin author needs to define, document and ship node types.
import pkg from "../package.json" with { type: "json" };

/** The version of @weft/sdk that is running. */
export const VERSION: string = pkg.version;

export type {
  AttemptOutcome,
  ConfigIssue,
  CredentialAccess,
  Emitted,
  ErrorInfo,
  Json,
  JsonObject,
  LogEntry,
  NodeCategory,
  NodeContext,
  NodeLogger,
  NodeResult,
  NodeStrategy,
  NodeTypeDescriptor,
  Suspension,
  WaitSpec,
} from "@weft/kernel";
/** Returns `output` on a named port from `execute` (e.g. `emit("true", item)`). */
export { abortableSleep, emit, isSuspension, suspend, WeftError } from "@weft/kernel";
export { isTemplate } from "./config-check.ts";
export type {
  CredentialDefinition,
  ExecuteResult,
  NodeDefinition,
  NodeDefinitionInput,
  NodeExample,
  NodeStrategyDefinition,
  PluginDefinition,
  PluginDefinitionInput,
} from "./define.ts";
export { defineCredential, defineNode, definePlugin, NODE_CATEGORIES } from "./define.ts";
export type { NodeErrorOptions } from "./errors.ts";
export { HttpStatusError, NodeError, parseRetryAfter, SdkErrorCode } from "./errors.ts";
export { evaluate, evaluateExpression, expressionScope } from "./expressions.ts";
export type { HttpCallContext, HttpRequestOptions, HttpService, RetryBudget } from "./http-call.ts";
export { DEFAULT_RETRY_BUDGET, readJsonBody, sendRequest } from "./http-call.ts";
export type { FieldHints, JsonSchema } from "./json-schema.ts";
export { toJsonSchema } from "./json-schema.ts";
export type { CredentialManifest, NodeManifest, PluginManifest } from "./manifest.ts";
export { credentialManifest, nodeManifest, pluginManifest, toDescriptor } from "./manifest.ts";
export { formatManifest, importPlugin, MANIFEST_FILE, writeManifest } from "./manifest-file.ts";
export type { RateLimit, RateLimiter } from "./rate-limit.ts";
export { ProcessRateLimiter, RATE_LIMITER } from "./rate-limit.ts";

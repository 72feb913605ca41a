// Wraps an author's phases into the kernel's NodeStrategy. The wrapper owns the parts every node
// would otherwise repeat: parsing config with its schema before anything runs, parsing credential
// values with their type's schema, unpacking `emit()` results, and validating the output.
import type { AttemptOutcome, CredentialAccess, Json, NodeContext, NodeResult, NodeStrategy } from "@weft/kernel";
import { isEmitted, isSuspension } from "@weft/kernel";
import { toConfigIssues } from "./config-check.ts";
import type { NodeDefinition, NodeStrategyDefinition } from "./define.ts";
import { credentialDefinitionsOf } from "./define.ts";
import { NodeError, SdkErrorCode } from "./errors.ts";

type AnyStrategy = NodeStrategyDefinition<unknown, unknown, unknown>;

// The typed context of an attempt, derived once per kernel context.
const typedContexts = new WeakMap<NodeContext, NodeContext>();

function describeIssues(issues: { path: (string | number)[]; message: string }[]): string {
  return issues.map((i) => `${i.path.length > 0 ? i.path.join(".") : "(root)"}: ${i.message}`).join("; ");
}

function parseConfig(node: NodeDefinition, raw: unknown): unknown {
  const result = node.config.safeParse(raw ?? {});
  if (result.success) return result.data;
  const issues = toConfigIssues(result.error.issues);
  throw new NodeError(SdkErrorCode.ConfigInvalid, `${node.type}: invalid config — ${describeIssues(issues)}`, {
    details: { issues: issues as unknown as Json },
  });
}

function typedCredentials(node: NodeDefinition, access: CredentialAccess): CredentialAccess {
  return {
    get name() {
      return access.name;
    },
    async get(name?: string) {
      const credential = await access.get(name);
      if (node.credentials.length > 0 && !node.credentials.includes(credential.type))
        throw new NodeError(
          SdkErrorCode.CredentialType,
          `${node.type} accepts credentials of type ${node.credentials.join(", ")}, not "${credential.type}"`,
          { details: { type: credential.type, accepted: [...node.credentials] } },
        );
      const definition = credentialDefinitionsOf(node).get(credential.type);
      if (!definition) return credential;
      const parsed = definition.schema.safeParse(credential.values);
      if (!parsed.success) {
        // Only paths and zod's generic messages: never the values, which may be secrets.
        const issues = toConfigIssues(parsed.error.issues);
        throw new NodeError(
          SdkErrorCode.CredentialInvalid,
          `credential of type "${credential.type}" is invalid — ${describeIssues(issues)}`,
          { details: { type: credential.type, fields: issues.map((i) => i.path.join(".")) } },
        );
      }
      return { type: credential.type, values: parsed.data as Record<string, unknown> };
    },
  };
}

/** A context whose `config` is the parsed config and whose credentials are parsed by type. */
function typedContext(node: NodeDefinition, ctx: NodeContext): NodeContext {
  const cached = typedContexts.get(ctx);
  if (cached) return cached;
  const config = parseConfig(node, ctx.config);
  // Copied field by field: the kernel's context may use accessors bound to its own instance.
  const typed: NodeContext = {
    runId: ctx.runId,
    workflowId: ctx.workflowId,
    nodeId: ctx.nodeId,
    nodeType: ctx.nodeType,
    attempt: ctx.attempt,
    config,
    input: ctx.input,
    inputs: ctx.inputs,
    signal: ctx.signal,
    logger: ctx.logger,
    idempotencyKey: ctx.idempotencyKey,
    ...(ctx.resume !== undefined ? { resume: ctx.resume } : {}),
    credentials: typedCredentials(node, ctx.credentials),
    services: ctx.services,
  };
  typedContexts.set(ctx, typed);
  return typed;
}

// What travels from execute to postprocess: the author's output and the port `emit()` chose.
interface Produced {
  readonly output: unknown;
  readonly port: string | undefined;
}

function validateOutput(node: NodeDefinition, result: NodeResult<unknown>): NodeResult {
  const parsed = node.output.safeParse(result.output);
  if (!parsed.success) {
    const issues = toConfigIssues(parsed.error.issues);
    throw new NodeError(
      SdkErrorCode.OutputInvalid,
      `${node.type} produced an invalid output — ${describeIssues(issues)}`,
      { details: { issues: issues as unknown as Json } },
    );
  }
  const port = result.port ?? "default";
  if (!node.dynamicPorts && port !== "default" && !node.ports.includes(port))
    throw new NodeError(SdkErrorCode.OutputInvalid, `${node.type} left on port "${port}", which it does not declare`, {
      details: { port, ports: [...node.ports] },
    });
  // A round trip through JSON drops what a checkpoint could not carry (undefined, functions, dates as objects).
  return { output: JSON.parse(JSON.stringify(parsed.data ?? null)) as Json, port };
}

/** Builds the kernel strategy of a node from the author's phases. @internal */
export function wrapStrategy(node: NodeDefinition, strategy: AnyStrategy): NodeStrategy {
  return {
    async preprocess(ctx) {
      const typed = typedContext(node, ctx);
      return strategy.preprocess ? await strategy.preprocess(typed) : undefined;
    },
    async execute(ctx, prepared) {
      const result = await strategy.execute(typedContext(node, ctx), prepared);
      if (isSuspension(result)) return result;
      if (isEmitted(result)) return { output: result.output, port: result.port } satisfies Produced;
      return { output: result, port: undefined } satisfies Produced;
    },
    async postprocess(ctx, produced) {
      const { output, port } = produced as Produced;
      if (!strategy.postprocess) return validateOutput(node, { output, ...(port ? { port } : {}) });
      const shaped = await strategy.postprocess(typedContext(node, ctx), output);
      if (isSuspension(shaped)) return shaped;
      return validateOutput(node, { output: shaped.output, port: shaped.port ?? port });
    },
    async finalize(ctx, outcome: AttemptOutcome) {
      if (!strategy.finalize) return;
      // Finalize runs even when the config was invalid; it then sees the raw config.
      let typed: NodeContext = ctx;
      try {
        typed = typedContext(node, ctx);
      } catch {
        typed = ctx;
      }
      await strategy.finalize(typed, outcome);
    },
  };
}

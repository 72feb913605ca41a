// The shapes plugin authors write: credential types, nodes and plugins. Types flow from the zod
// `config`/`output` schemas into the strategy, so `ctx.config` and the returned output need no casts.
import type { AttemptOutcome, Emitted, Json, NodeCategory, NodeContext, NodeResult, Suspension } from "@weft/kernel";
import type { z } from "zod";
import { NodeError, SdkErrorCode } from "./errors.ts";
import { wrapStrategy } from "./strategy.ts";

/** The node categories the designer groups node types by. */
export const NODE_CATEGORIES: readonly NodeCategory[] = [
  "trigger",
  "action",
  "condition",
  "approval",
  "integration",
  "notification",
  "transform",
  "control",
];

/** A credential type: a zod schema of its values and which of them are secret. */
export interface CredentialDefinition<TSchema extends z.ZodObject = z.ZodObject> {
  /** Public name of the type (e.g. `slack`, `http.bearer`); nodes refer to it in `credentials`. */
  readonly type: string;
  readonly title: string;
  readonly description?: string;
  readonly schema: TSchema;
  /** Fields whose values are secret: write-only in the API, masked in the designer, never logged. */
  readonly secret: readonly (keyof z.output<TSchema> & string)[];
}

/** A documented, runnable example of a node (run by `runExamples` in the plugin's tests). */
export interface NodeExample<TConfigInput = unknown> {
  name: string;
  description?: string;
  config: TConfigInput;
  /** The run input (trigger payload). */
  input?: Json;
  /** Outputs of upstream nodes, by node id. */
  inputs?: Record<string, Json>;
  credentials?: { type: string; values: Record<string, unknown> };
  /** The payload the node is resumed with after it suspends. */
  resume?: Json;
  /** What the example should end as; by default it must succeed. */
  expect?: { status?: AttemptOutcome["status"]; port?: string; output?: Json; code?: string };
}

/** What `execute` may return: the output, the output on a named port, or a suspension. */
export type ExecuteResult<TOutput> = TOutput | Emitted<TOutput> | Suspension;

/** The strategy a plugin author writes: the four lifecycle phases, typed by the node's schemas. */
export interface NodeStrategyDefinition<TConfig, TOutput, TPrepared> {
  /** Validate and prepare (no side effects). Its value is `execute`'s second argument. */
  preprocess?(ctx: NodeContext<TConfig>): TPrepared | Promise<TPrepared>;
  /** The work (side effects; may be retried as a new attempt). */
  execute(ctx: NodeContext<TConfig>, prepared: TPrepared): ExecuteResult<TOutput> | Promise<ExecuteResult<TOutput>>;
  /** Shape the result and pick the port (no side effects). */
  postprocess?(
    ctx: NodeContext<TConfig>,
    result: TOutput,
  ): NodeResult<TOutput> | Suspension | Promise<NodeResult<TOutput> | Suspension>;
  /** Cleanup; runs exactly once per attempt with its outcome. */
  finalize?(ctx: NodeContext<TConfig>, outcome: AttemptOutcome): void | Promise<void>;
}

/** What `defineNode` takes. */
export interface NodeDefinitionInput<TConfigSchema extends z.ZodType, TOutputSchema extends z.ZodType, TPrepared> {
  /** Namespaced node type, e.g. `slack.postMessage` (public contract: never rename). */
  type: string;
  /** The plugin major this node belongs to. */
  version: number;
  category: NodeCategory;
  title: string;
  description: string;
  /** Icon name or URL. */
  icon?: string;
  config: TConfigSchema;
  output: TOutputSchema;
  /** Output ports (default `["default"]`); `error` is implicit. */
  ports?: readonly string[];
  /** True when port names depend on config. */
  dynamicPorts?: boolean;
  /** Credential types the node accepts: their names, or the definitions themselves. */
  credentials?: readonly (string | CredentialDefinition)[];
  examples?: readonly NodeExample<z.input<TConfigSchema>>[];
  strategy: NodeStrategyDefinition<z.output<TConfigSchema>, z.input<TOutputSchema>, TPrepared>;
}

/** A node type as the SDK, the loader and the testing helpers see it. Create it with {@link defineNode}. */
export interface NodeDefinition<
  TConfigSchema extends z.ZodType = z.ZodType,
  TOutputSchema extends z.ZodType = z.ZodType,
> {
  readonly type: string;
  readonly version: number;
  readonly category: NodeCategory;
  readonly title: string;
  readonly description: string;
  readonly icon: string | undefined;
  readonly config: TConfigSchema;
  readonly output: TOutputSchema;
  readonly ports: readonly string[];
  readonly dynamicPorts: boolean;
  /** Names of the credential types the node accepts. */
  readonly credentials: readonly string[];
  readonly examples: readonly NodeExample<z.input<TConfigSchema>>[];
  /**
   * The kernel strategy: the author's phases wrapped so config is parsed before preprocess
   * (`WEFT_E_CONFIG_INVALID`), credentials are parsed by their type's schema, and the output is
   * validated in postprocess (`WEFT_E_OUTPUT_INVALID`).
   */
  readonly strategy: import("@weft/kernel").NodeStrategy;
}

/** What `definePlugin` takes. */
export interface PluginDefinitionInput {
  /** Package name; must equal `package.json` `name`. */
  name: string;
  /** Package version; must equal `package.json` `version` (import it from there). */
  version: string;
  /** The `@weft/kernel` range from `package.json` `weft.engine`, carried into the manifest. */
  engine?: string;
  description?: string;
  nodes: readonly NodeDefinition[];
  credentials?: readonly CredentialDefinition[];
}

/** A plugin: a package's nodes and credential types. Create it with {@link definePlugin}. */
export interface PluginDefinition {
  readonly name: string;
  readonly version: string;
  readonly engine: string | undefined;
  readonly description: string | undefined;
  readonly nodes: readonly NodeDefinition[];
  readonly credentials: readonly CredentialDefinition[];
}

// Credential types known to a node, by node; filled by defineNode (object form) and definePlugin.
const knownCredentials = new WeakMap<object, Map<string, CredentialDefinition>>();

/** The credential definitions a node can parse values with (its own and its plugin's). @internal */
export function credentialDefinitionsOf(node: object): Map<string, CredentialDefinition> {
  let map = knownCredentials.get(node);
  if (!map) {
    map = new Map();
    knownCredentials.set(node, map);
  }
  return map;
}

function invalid(message: string, details?: Json): never {
  throw new NodeError(SdkErrorCode.DefinitionInvalid, message, details === undefined ? {} : { details });
}

const TYPE_NAME = /^[a-z][a-zA-Z0-9]*(\.[a-zA-Z][a-zA-Z0-9_-]*)+$/;

/**
 * Defines a credential type. `secret` names the fields that are secrets.
 *
 * @example
 * defineCredential({ type: "slack", title: "Slack bot token", schema: z.object({ token: z.string() }), secret: ["token"] })
 */
export function defineCredential<TSchema extends z.ZodObject>(
  definition: CredentialDefinition<TSchema>,
): CredentialDefinition<TSchema> {
  if (!/^[a-z][a-zA-Z0-9.-]*$/.test(definition.type))
    invalid(`credential type "${definition.type}" must be lower camel case, optionally dotted (e.g. "http.bearer")`);
  const fields = Object.keys(definition.schema.shape);
  for (const field of definition.secret)
    if (!fields.includes(field))
      invalid(`credential type "${definition.type}" marks "${field}" secret but its schema has no such field`);
  return Object.freeze({ ...definition, secret: [...definition.secret] });
}

/**
 * Defines a node type. `config` and `output` are zod schemas; the strategy's `ctx.config` is the parsed
 * config (defaults applied) and what `execute` returns is checked against `output`.
 */
export function defineNode<TConfigSchema extends z.ZodType, TOutputSchema extends z.ZodType, TPrepared = undefined>(
  definition: NodeDefinitionInput<TConfigSchema, TOutputSchema, TPrepared>,
): NodeDefinition<TConfigSchema, TOutputSchema> {
  const { type, version, category } = definition;
  if (!TYPE_NAME.test(type)) invalid(`node type "${type}" must be namespaced, e.g. "slack.postMessage"`, { type });
  if (!Number.isInteger(version) || version < 1)
    invalid(`node type "${type}": version must be the plugin major, an integer >= 1 (got ${String(version)})`, {
      type,
    });
  if (!NODE_CATEGORIES.includes(category))
    invalid(`node type "${type}": category "${category}" is not one of ${NODE_CATEGORIES.join(", ")}`, { type });
  if (typeof definition.strategy?.execute !== "function")
    invalid(`node type "${type}": strategy.execute must be a function`, { type });
  const ports = [...(definition.ports ?? ["default"])];
  if (ports.length === 0 && !definition.dynamicPorts) invalid(`node type "${type}" declares no output port`, { type });
  if (ports.includes("error"))
    invalid(`node type "${type}": the "error" port is implicit, do not declare it`, { type });

  const credentials = (definition.credentials ?? []).map((c) => (typeof c === "string" ? c : c.type));
  const node: NodeDefinition<TConfigSchema, TOutputSchema> = {
    type,
    version,
    category,
    title: definition.title,
    description: definition.description,
    icon: definition.icon,
    config: definition.config,
    output: definition.output,
    ports,
    dynamicPorts: definition.dynamicPorts ?? false,
    credentials,
    examples: [...(definition.examples ?? [])],
    strategy: undefined as never,
  };
  const known = credentialDefinitionsOf(node);
  for (const c of definition.credentials ?? []) if (typeof c !== "string") known.set(c.type, c);
  (node as { strategy: unknown }).strategy = wrapStrategy(
    node as NodeDefinition,
    definition.strategy as NodeStrategyDefinition<unknown, unknown, unknown>,
  );
  return Object.freeze(node);
}

/**
 * Defines a plugin: its package name and version (read them from `package.json`), nodes and
 * credential types. Default-export the result from the package's entry.
 */
export function definePlugin(definition: PluginDefinitionInput): PluginDefinition {
  if (!definition.name) invalid("definePlugin: name is required (the package name)");
  if (!/^\d+\.\d+\.\d+/.test(definition.version ?? ""))
    invalid(`plugin ${definition.name}: version "${definition.version}" is not a semver version`);
  const credentials = [...(definition.credentials ?? [])];
  const types = new Set<string>();
  for (const c of credentials) {
    if (types.has(c.type)) invalid(`plugin ${definition.name} defines credential type "${c.type}" twice`);
    types.add(c.type);
  }
  const seen = new Set<string>();
  for (const node of definition.nodes) {
    const key = `${node.type}@${node.version}`;
    if (seen.has(key))
      invalid(`plugin ${definition.name} defines node type ${node.type} (version ${node.version}) twice`);
    seen.add(key);
    const known = credentialDefinitionsOf(node);
    for (const c of credentials) if (!known.has(c.type)) known.set(c.type, c);
  }
  return Object.freeze({
    name: definition.name,
    version: definition.version,
    engine: definition.engine,
    description: definition.description,
    nodes: [...definition.nodes],
    credentials,
  });
}

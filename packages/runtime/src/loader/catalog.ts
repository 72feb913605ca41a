// The catalog of installed node and credential types, built once by the loader. Its entries are what
// the API serves as `GET /api/node-types` and what the API and CLI validate credential values with.
import type { NodeCategory, NodeTypeDescriptor, StrategyRegistry } from "@weft/kernel";
import type { CredentialDefinition, JsonSchema, PluginDefinition } from "@weft/sdk";
import { credentialManifest, nodeManifest, toJsonSchema } from "@weft/sdk";
import { z } from "zod";

/** A loaded plugin package. */
export interface LoadedPlugin {
  name: string;
  version: string;
  /** Its `weft.engine` range (undefined for an in-process definition that declares none). */
  engine: string | undefined;
}

/** One entry of `GET /api/node-types`. */
export interface NodeTypeInfo {
  type: string;
  version: number;
  plugin: { name: string; version: string };
  category: NodeCategory;
  title: string;
  description: string;
  icon?: string;
  configSchema: JsonSchema;
  outputSchema: JsonSchema;
  ports: string[];
  dynamicPorts: boolean;
  credentials: string[];
}

/** A credential type, with what the API/CLI need to validate values before storing them. */
export interface CredentialTypeInfo {
  type: string;
  title: string;
  description?: string;
  plugin: { name: string; version: string };
  /** JSON Schema of the values (secret fields marked `x-weft-secret`, `writeOnly`). */
  schema: JsonSchema;
  /** Names of the secret fields: write-only in the API, never logged. */
  secret: string[];
  /** The zod schema the values are parsed with at run time. */
  zod: z.ZodObject;
  /** Parses values; issues carry field paths only, never the values. */
  validate(
    values: unknown,
  ):
    | { ok: true; values: Record<string, unknown> }
    | { ok: false; issues: { path: (string | number)[]; message: string }[] };
}

/** What {@link loadPlugins} returns. */
export interface PluginCatalog {
  /** The kernel registry with every plugin's strategies (and the built-ins) registered. */
  readonly registry: StrategyRegistry;
  /** The loaded plugin packages, by name. */
  readonly plugins: readonly LoadedPlugin[];
  /** Every installed node type, by type then major (`GET /api/node-types`). */
  nodeTypes(): NodeTypeInfo[];
  /** One node type at a major (default: the highest installed). */
  nodeType(type: string, version?: number): NodeTypeInfo | undefined;
  credentialTypes(): CredentialTypeInfo[];
  credentialType(type: string): CredentialTypeInfo | undefined;
}

function credentialInfo(credential: CredentialDefinition, plugin: PluginDefinition): CredentialTypeInfo {
  const manifest = credentialManifest(credential);
  return {
    ...manifest,
    plugin: { name: plugin.name, version: plugin.version },
    zod: credential.schema,
    validate(values) {
      const result = credential.schema.safeParse(values);
      if (result.success) return { ok: true, values: result.data as Record<string, unknown> };
      return {
        ok: false,
        issues: result.error.issues.map((issue) => ({
          path: issue.path.filter((key): key is string | number => typeof key !== "symbol"),
          message: issue.message,
        })),
      };
    },
  };
}

const BUILTIN_TEXT: Record<string, { title: string; description: string }> = {
  "trigger.manual": {
    title: "Manual trigger",
    description: "Starts a run on request (API, CLI or designer); its output is the run input.",
  },
};

function builtinInfo(descriptor: NodeTypeDescriptor, kernelVersion: string): NodeTypeInfo {
  const text = BUILTIN_TEXT[descriptor.type] ?? { title: descriptor.type, description: "" };
  return {
    type: descriptor.type,
    version: descriptor.version,
    plugin: descriptor.plugin ?? { name: "@weft/kernel", version: kernelVersion },
    category: descriptor.category,
    ...text,
    configSchema: toJsonSchema(z.object({}), "input"),
    outputSchema: toJsonSchema(z.json(), "output"),
    ports: [...descriptor.ports],
    dynamicPorts: descriptor.dynamicPorts ?? false,
    credentials: [],
  };
}

/** Builds the catalog of a registry already holding the plugins' strategies. @internal */
export function buildCatalog(
  registry: StrategyRegistry,
  plugins: readonly { definition: PluginDefinition; loaded: LoadedPlugin }[],
  kernelVersion: string,
): PluginCatalog {
  const nodes = new Map<string, NodeTypeInfo>();
  const credentials = new Map<string, CredentialTypeInfo>();
  for (const { definition } of plugins) {
    for (const node of definition.nodes)
      nodes.set(`${node.type}@${node.version}`, {
        ...nodeManifest(node),
        plugin: { name: definition.name, version: definition.version },
      });
    for (const credential of definition.credentials)
      credentials.set(credential.type, credentialInfo(credential, definition));
  }
  for (const descriptor of registry.list()) {
    const key = `${descriptor.type}@${descriptor.version}`;
    if (!nodes.has(key)) nodes.set(key, builtinInfo(descriptor, kernelVersion));
  }
  const ordered = [...nodes.values()].sort((a, b) =>
    a.type === b.type ? a.version - b.version : a.type < b.type ? -1 : 1,
  );
  return {
    registry,
    plugins: plugins.map((p) => p.loaded),
    nodeTypes: () => ordered.map((info) => structuredClone(info)),
    nodeType(type, version) {
      const majors = ordered.filter(
        (info) => info.type === type && (version === undefined || info.version === version),
      );
      const found = majors.at(-1);
      return found ? structuredClone(found) : undefined;
    },
    credentialTypes: () => [...credentials.values()].sort((a, b) => (a.type < b.type ? -1 : 1)),
    credentialType: (type) => credentials.get(type),
  };
}

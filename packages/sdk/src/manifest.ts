// The plugin manifest: plain JSON describing every node (config and output as JSON Schema 2020-12
// with UI hints, ports, credential types) and every credential type. It is generated from the code,
// committed as `weft.manifest.json`, and served by the API to the designer unchanged. The kernel
// descriptor is the part of the same facts the validator and scheduler need.
import type { NodeCategory, NodeTypeDescriptor } from "@weft/kernel";
import { checkRawConfig } from "./config-check.ts";
import type { CredentialDefinition, NodeDefinition, PluginDefinition } from "./define.ts";
import { type JsonSchema, toJsonSchema } from "./json-schema.ts";

/** One node type in a manifest. */
export interface NodeManifest {
  type: string;
  version: number;
  category: NodeCategory;
  title: string;
  description: string;
  icon?: string;
  ports: string[];
  dynamicPorts: boolean;
  credentials: string[];
  /** What a user writes (JSON Schema 2020-12, input side: defaulted fields are optional). */
  configSchema: JsonSchema;
  /** What the node produces (JSON Schema 2020-12, output side). */
  outputSchema: JsonSchema;
}

/** One credential type in a manifest. */
export interface CredentialManifest {
  type: string;
  title: string;
  description?: string;
  /** JSON Schema of the values; secret fields carry `x-weft-secret: true` and `writeOnly: true`. */
  schema: JsonSchema;
  secret: string[];
}

/** A plugin's manifest (`weft.manifest.json`). */
export interface PluginManifest {
  name: string;
  version: string;
  engine?: string;
  nodes: NodeManifest[];
  credentials: CredentialManifest[];
}

/** The manifest entry of one node. */
export function nodeManifest(node: NodeDefinition): NodeManifest {
  return {
    type: node.type,
    version: node.version,
    category: node.category,
    title: node.title,
    description: node.description,
    ...(node.icon !== undefined ? { icon: node.icon } : {}),
    ports: [...node.ports],
    dynamicPorts: node.dynamicPorts,
    credentials: [...node.credentials],
    configSchema: toJsonSchema(node.config, "input"),
    outputSchema: toJsonSchema(node.output, "output"),
  };
}

/** The manifest entry of one credential type. */
export function credentialManifest(credential: CredentialDefinition): CredentialManifest {
  return {
    type: credential.type,
    title: credential.title,
    ...(credential.description !== undefined ? { description: credential.description } : {}),
    schema: toJsonSchema(credential.schema, "input", credential.secret),
    secret: [...credential.secret],
  };
}

/**
 * The plugin's manifest as plain JSON. Deterministic: the same code always yields the same document,
 * so the committed `weft.manifest.json` can be checked for staleness.
 */
export function pluginManifest(plugin: PluginDefinition): PluginManifest {
  return {
    name: plugin.name,
    version: plugin.version,
    ...(plugin.engine !== undefined ? { engine: plugin.engine } : {}),
    nodes: plugin.nodes.map(nodeManifest),
    credentials: plugin.credentials.map(credentialManifest),
  };
}

/**
 * The kernel's view of a node type: what the validator checks graphs against and the registry keys
 * strategies by. `validateConfig` accepts a `{{ }}` template wherever a value goes.
 */
export function toDescriptor(
  node: NodeDefinition,
  plugin?: Pick<PluginDefinition, "name" | "version">,
): NodeTypeDescriptor {
  return {
    type: node.type,
    version: node.version,
    category: node.category,
    ports: [...node.ports],
    ...(node.dynamicPorts ? { dynamicPorts: true } : {}),
    ...(plugin ? { plugin: { name: plugin.name, version: plugin.version } } : {}),
    validateConfig: (config: unknown) => checkRawConfig(node.config, config),
  };
}

// Loads plugin packages into a kernel registry. Everything is checked before anything is registered,
// so a bad plugin fails the whole load with one clear error instead of leaving half a catalog.
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { Json } from "@weft/kernel";
import { VERSION as KERNEL_VERSION, StrategyRegistry } from "@weft/kernel";
import type { PluginDefinition } from "@weft/sdk";
import { toDescriptor } from "@weft/sdk";
import semver from "semver";
import { buildCatalog, type LoadedPlugin, type PluginCatalog } from "./catalog.ts";
import { discoverPlugins, findPackage, type PackageOnDisk, packageEntry } from "./discover.ts";
import { LoaderErrorCode, PluginLoadError } from "./errors.ts";

/** The workspace's first-party plugin packages, loaded by default by the server and the worker. */
export const defaultPlugins: readonly string[] = ["@weft/plugin-core", "@weft/plugin-http"];

/** Options of {@link loadPlugins}. */
export interface LoadPluginsOptions {
  /** Package names to import, or in-process plugin definitions. */
  plugins?: readonly (string | PluginDefinition)[];
  /** Also load every package carrying the `weft` field among `from`'s dependencies and node_modules. */
  discover?: { from: string };
  /** Directories package names are resolved from (default: `discover.from`, the working directory, then this package). */
  resolveFrom?: readonly string[];
  /** The @weft/kernel version engine ranges are checked against (default: the running kernel's). */
  kernelVersion?: string;
}

// A plugin on its way in: where it came from, and what it says about itself.
interface Candidate {
  definition: PluginDefinition;
  loaded: LoadedPlugin;
  /** Where it came from, for error messages. */
  origin: string;
}

function describePackage(pkg: { name: string; version: string }): string {
  return `${pkg.name}@${pkg.version}`;
}

function checkEngine(name: string, version: string, engine: unknown, kernelVersion: string): void {
  const details = { package: name, version, engine: (engine ?? null) as Json, kernel: kernelVersion };
  if (typeof engine !== "string" || semver.validRange(engine) === null)
    throw new PluginLoadError(
      LoaderErrorCode.Engine,
      `${name}@${version} declares "weft": { "engine": ${JSON.stringify(engine ?? null)} } in package.json, which is not a semver range of @weft/kernel (e.g. "^1.0.0")`,
      details,
    );
  if (!semver.satisfies(kernelVersion, engine, { includePrerelease: true }))
    throw new PluginLoadError(
      LoaderErrorCode.Engine,
      `${name}@${version} requires @weft/kernel ${engine}, but @weft/kernel ${kernelVersion} is running: install a version of ${name} built for @weft/kernel ${semver.major(kernelVersion)}.x`,
      details,
    );
}

function looksLikePlugin(value: unknown): value is PluginDefinition {
  const plugin = value as PluginDefinition | undefined;
  return (
    typeof plugin === "object" &&
    plugin !== null &&
    typeof plugin.name === "string" &&
    typeof plugin.version === "string" &&
    Array.isArray(plugin.nodes) &&
    Array.isArray(plugin.credentials)
  );
}

function checkDefinition(plugin: PluginDefinition, origin: string): void {
  const where = describePackage(plugin);
  const major = semver.valid(plugin.version) ? semver.major(plugin.version) : undefined;
  if (major === undefined)
    throw new PluginLoadError(
      LoaderErrorCode.Invalid,
      `${where} (${origin}): "${plugin.version}" is not a semver version`,
      {
        package: plugin.name,
        version: plugin.version,
      },
    );
  for (const node of plugin.nodes) {
    const bad =
      typeof node?.type !== "string"
        ? "a node without a type"
        : !Number.isInteger(node.version) || node.version < 1
          ? `node ${node.type} with version ${String(node.version)} (expected an integer >= 1)`
          : typeof node.strategy?.execute !== "function"
            ? `node ${node.type} without strategy.execute (define it with defineNode)`
            : typeof node.config?.safeParse !== "function" || typeof node.output?.safeParse !== "function"
              ? `node ${node.type} whose config/output are not zod schemas`
              : node.version > Math.max(1, major)
                ? `node ${node.type} at version ${node.version}, above the plugin's major ${major}`
                : undefined;
    if (bad)
      throw new PluginLoadError(LoaderErrorCode.Invalid, `${where} (${origin}) defines ${bad}`, {
        package: plugin.name,
        version: plugin.version,
      });
  }
}

async function importPackage(found: PackageOnDisk, origin: string, kernelVersion: string): Promise<Candidate> {
  const { pkg } = found;
  const where = describePackage(pkg);
  if (pkg.weft === undefined || typeof pkg.weft !== "object" || pkg.weft === null)
    throw new PluginLoadError(
      LoaderErrorCode.Invalid,
      `${where} (${origin}) is not a Weft plugin: its package.json has no "weft": { "engine": "<range>" } field`,
      { package: pkg.name, version: pkg.version },
    );
  // The range is checked before importing, so an incompatible plugin's code never runs.
  checkEngine(pkg.name, pkg.version, pkg.weft.engine, kernelVersion);
  const entry = packageEntry(found);
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(entry).href)) as { default?: unknown };
  } catch (error) {
    throw new PluginLoadError(
      LoaderErrorCode.Invalid,
      `${where} (${origin}) failed to import: ${(error as Error)?.message ?? String(error)}`,
      { package: pkg.name, version: pkg.version, entry },
      error,
    );
  }
  const definition = module.default;
  if (!looksLikePlugin(definition))
    throw new PluginLoadError(
      LoaderErrorCode.Invalid,
      `${where} (${origin}): ${path.basename(entry)} must default-export definePlugin({ name, version, nodes, credentials })`,
      { package: pkg.name, version: pkg.version, entry },
    );
  if (definition.name !== pkg.name || definition.version !== pkg.version)
    throw new PluginLoadError(
      LoaderErrorCode.Invalid,
      `${where} (${origin}) exports a plugin named ${describePackage(definition)}: definePlugin's name and version must equal package.json's`,
      { package: pkg.name, version: pkg.version, exported: describePackage(definition) },
    );
  return { definition, loaded: { name: pkg.name, version: pkg.version, engine: pkg.weft.engine as string }, origin };
}

function inProcess(definition: PluginDefinition, kernelVersion: string): Candidate {
  if (!looksLikePlugin(definition))
    throw new PluginLoadError(LoaderErrorCode.Invalid, "an in-process plugin is not a definePlugin(...) result", {
      package: String((definition as { name?: unknown } | undefined)?.name ?? null),
      version: null,
    });
  if (definition.engine !== undefined)
    checkEngine(definition.name, definition.version, definition.engine, kernelVersion);
  return {
    definition,
    loaded: { name: definition.name, version: definition.version, engine: definition.engine },
    origin: "passed in-process",
  };
}

/** Drops exact repeats (same name and version); refuses two versions of one package. */
function dedupe(candidates: readonly Candidate[]): Candidate[] {
  const byName = new Map<string, Candidate>();
  for (const candidate of candidates) {
    const { name, version } = candidate.definition;
    const previous = byName.get(name);
    if (!previous) {
      byName.set(name, candidate);
      continue;
    }
    if (previous.definition.version === version && previous.definition === candidate.definition) continue;
    if (previous.definition.version === version && previous.origin !== candidate.origin) continue;
    throw new PluginLoadError(
      LoaderErrorCode.Duplicate,
      `plugin ${name} is loaded twice: ${previous.definition.version} (${previous.origin}) and ${version} (${candidate.origin}); keep one version`,
      { package: name, versions: [previous.definition.version, version] },
    );
  }
  return [...byName.values()];
}

function checkConflicts(registry: StrategyRegistry, candidates: readonly Candidate[]): void {
  const nodeOwners = new Map<string, Candidate>();
  const credentialOwners = new Map<string, Candidate>();
  for (const candidate of candidates) {
    const where = describePackage(candidate.definition);
    for (const node of candidate.definition.nodes) {
      const key = `${node.type}@${node.version}`;
      const owner = nodeOwners.get(key);
      const builtin = registry.describe(node.type, node.version);
      if (owner || builtin)
        throw new PluginLoadError(
          LoaderErrorCode.Duplicate,
          `node type ${node.type} (major ${node.version}) is provided by both ${owner ? describePackage(owner.definition) : "@weft/kernel (built-in)"} and ${where}`,
          {
            type: node.type,
            version: node.version,
            packages: [owner ? describePackage(owner.definition) : "@weft/kernel", where],
          },
        );
      nodeOwners.set(key, candidate);
    }
    for (const credential of candidate.definition.credentials) {
      const owner = credentialOwners.get(credential.type);
      if (owner)
        throw new PluginLoadError(
          LoaderErrorCode.Duplicate,
          `credential type ${credential.type} is defined by both ${describePackage(owner.definition)} and ${where}`,
          { type: credential.type, packages: [describePackage(owner.definition), where] },
        );
      credentialOwners.set(credential.type, candidate);
    }
  }
}

/**
 * Loads plugins — configured package names, in-process definitions and (with `discover`) every
 * installed package carrying the `weft` field — checks each one's `weft.engine` range against the
 * running @weft/kernel, refuses duplicates, registers every node's strategy in a new kernel
 * registry and returns the catalog. Throws {@link PluginLoadError} (`WEFT_E_PLUGIN_*`).
 */
export async function loadPlugins(options: LoadPluginsOptions = {}): Promise<PluginCatalog> {
  const kernelVersion = options.kernelVersion ?? KERNEL_VERSION;
  const bases = options.resolveFrom ?? [
    ...(options.discover ? [options.discover.from] : []),
    process.cwd(),
    import.meta.dirname,
  ];
  const candidates: Candidate[] = [];
  for (const entry of options.plugins ?? []) {
    if (typeof entry !== "string") {
      candidates.push(inProcess(entry, kernelVersion));
      continue;
    }
    const found = findPackage(entry, bases);
    if (!found)
      throw new PluginLoadError(
        LoaderErrorCode.NotFound,
        `plugin package ${entry} is not installed (looked in node_modules from ${bases.join(", ")})`,
        { package: entry, searched: [...bases] },
      );
    candidates.push(await importPackage(found, "configured", kernelVersion));
  }
  if (options.discover)
    for (const found of discoverPlugins(options.discover.from))
      candidates.push(await importPackage(found, `installed in ${options.discover.from}`, kernelVersion));

  const plugins = dedupe(candidates);
  for (const candidate of plugins) checkDefinition(candidate.definition, candidate.origin);
  const registry = new StrategyRegistry();
  checkConflicts(registry, plugins);
  for (const { definition } of plugins)
    for (const node of definition.nodes) registry.register(toDescriptor(node, definition), node.strategy);
  return buildCatalog(registry, plugins, kernelVersion);
}

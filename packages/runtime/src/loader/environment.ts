// The one answer to "which plugins does this process load": the server (`weft start`), the CLI and
// every worker (apps/worker, `weft worker`) call it, so a run never fails because the process that
// picked it up was started another way.
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { PluginDefinition } from "@weft/sdk";
import type { LoadPluginsOptions } from "./load.ts";

/**
 * The first-party plugins every Weft process loads. They are resolved from the host package
 * (apps/worker, @weft/cli), which depends on all of them.
 */
export const firstPartyPlugins: readonly string[] = [
  "@weft/plugin-core",
  "@weft/plugin-http",
  "@weft/plugin-script",
  "@weft/plugin-tenable",
  "@weft/plugin-jira",
  "@weft/plugin-slack",
];

/** Where {@link pluginsFromEnvironment} looks. */
export interface PluginEnvironmentOptions {
  /** The host package's directory: the first-party plugins are resolved from its node_modules. */
  from: string;
  /**
   * The deployment directory (default: the working directory): WEFT_PLUGINS names are resolved from it
   * first, and every dependency in its package.json carrying the `weft` field is loaded.
   */
  cwd?: string;
  /** Replaces WEFT_PLUGINS (same meaning: added to the first-party plugins). */
  extra?: readonly string[];
}

/** Names and paths in WEFT_PLUGINS (comma-separated). */
export function pluginNamesFromEnvironment(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.WEFT_PLUGINS ?? "")
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);
}

async function importPath(file: string, cwd: string): Promise<PluginDefinition> {
  const module = (await import(pathToFileURL(path.resolve(cwd, file)).href)) as { default?: unknown };
  // loadPlugins checks the shape and names the module in its error.
  return module.default as PluginDefinition;
}

/**
 * What {@link loadPlugins} loads in every Weft process: the first-party plugins, plus WEFT_PLUGINS
 * (package names, or paths of modules default-exporting a plugin; added, never replacing), plus every
 * package carrying the `weft` field among the deployment directory's dependencies (so
 * `pnpm add @acme/weft-plugin-x` next to the deployment is enough). Use it as
 * `loadPlugins(await pluginsFromEnvironment(process.env, { from: hostDir }))`.
 */
export async function pluginsFromEnvironment(
  env: NodeJS.ProcessEnv,
  options: PluginEnvironmentOptions,
): Promise<LoadPluginsOptions> {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const from = path.resolve(options.from);
  const extra = options.extra ?? pluginNamesFromEnvironment(env);
  const entries: (string | PluginDefinition)[] = [...firstPartyPlugins];
  for (const name of extra) {
    if (name.startsWith(".") || path.isAbsolute(name)) entries.push(await importPath(name, cwd));
    else if (!entries.includes(name)) entries.push(name);
  }
  return {
    plugins: entries,
    discover: { from: cwd },
    // The deployment's own copy wins over the host's, so an operator can pin a plugin version there.
    resolveFrom: [cwd, from],
  };
}

// Reading and writing a plugin package's committed `weft.manifest.json`.
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { PluginDefinition } from "./define.ts";
import { NodeError, SdkErrorCode } from "./errors.ts";
import { type PluginManifest, pluginManifest } from "./manifest.ts";

/** The manifest's file name at a plugin package's root. */
export const MANIFEST_FILE = "weft.manifest.json";

/** Serialises a manifest the way `writeManifest` commits it (2-space JSON, trailing newline). */
export function formatManifest(manifest: PluginManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/**
 * Imports the plugin a package directory exports (its `package.json` `exports["."]`, else `main`,
 * else `src/index.ts`) and returns its default export.
 */
export async function importPlugin(pluginDir: string): Promise<PluginDefinition> {
  const pkg = JSON.parse(await readFile(path.join(pluginDir, "package.json"), "utf8")) as {
    name?: string;
    exports?: string | Record<string, unknown>;
    main?: string;
  };
  const exported = typeof pkg.exports === "string" ? pkg.exports : pkg.exports?.["."];
  const entry = typeof exported === "string" ? exported : (pkg.main ?? "./src/index.ts");
  const module = (await import(pathToFileURL(path.resolve(pluginDir, entry)).href)) as { default?: PluginDefinition };
  if (!module.default || !Array.isArray(module.default.nodes))
    throw new NodeError(
      SdkErrorCode.DefinitionInvalid,
      `${pkg.name ?? pluginDir}: ${entry} must default-export definePlugin({ ... })`,
    );
  return module.default;
}

/**
 * Regenerates `weft.manifest.json` in a plugin package directory from its code. Returns the path
 * written. Run it as `pnpm --filter <plugin> manifest` (the `weft-manifest` bin).
 */
export async function writeManifest(pluginDir: string): Promise<string> {
  const plugin = await importPlugin(pluginDir);
  const file = path.join(pluginDir, MANIFEST_FILE);
  await writeFile(file, formatManifest(pluginManifest(plugin)));
  return file;
}

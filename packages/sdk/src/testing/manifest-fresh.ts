// The committed manifest is what the API serves; a test fails when it no longer matches the code.
import { readFileSync } from "node:fs";
import type { PluginDefinition } from "../define.ts";
import { NodeError, SdkErrorCode } from "../errors.ts";
import { pluginManifest } from "../manifest.ts";
import { canonical } from "./examples.ts";

function firstDifference(actual: unknown, expected: unknown, path: string): string | undefined {
  if (canonical(actual) === canonical(expected)) return undefined;
  if (actual !== null && expected !== null && typeof actual === "object" && typeof expected === "object") {
    const a = actual as Record<string, unknown>;
    const e = expected as Record<string, unknown>;
    for (const key of new Set([...Object.keys(e), ...Object.keys(a)])) {
      const found = firstDifference(a[key], e[key], `${path}/${key}`);
      if (found) return found;
    }
  }
  return `${path || "/"}: committed ${JSON.stringify(actual) ?? "nothing"}, code says ${JSON.stringify(expected) ?? "nothing"}`;
}

/**
 * Throws `WEFT_E_MANIFEST_STALE` when the manifest committed at `manifestPath` (a path or file URL)
 * differs from what the plugin's code generates. Key order and formatting do not matter.
 *
 * @example
 * it("has a fresh manifest", () => expectManifestFresh(plugin, new URL("../weft.manifest.json", import.meta.url)));
 */
export function expectManifestFresh(plugin: PluginDefinition, manifestPath: string | URL): void {
  const expected = JSON.parse(JSON.stringify(pluginManifest(plugin))) as unknown;
  let committed: unknown;
  try {
    committed = JSON.parse(readFileSync(manifestPath, "utf8"));
  } catch (error) {
    throw new NodeError(
      SdkErrorCode.ManifestStale,
      `${plugin.name}: cannot read its manifest (${String(manifestPath)}): ${(error as Error).message}. Run \`pnpm --filter ${plugin.name} manifest\`.`,
    );
  }
  const difference = firstDifference(committed, expected, "");
  if (difference)
    throw new NodeError(
      SdkErrorCode.ManifestStale,
      `${plugin.name}: weft.manifest.json is stale — ${difference}. Run \`pnpm --filter ${plugin.name} manifest\` and commit the result.`,
    );
}

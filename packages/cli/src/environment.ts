// What every command that touches data needs: the store (embedded under WEFT_DATA_DIR, or
// DATABASE_URL) and the installed plugins.
import path from "node:path";
import { loadPlugins, type PluginCatalog, pluginsFromEnvironment } from "@weft/runtime";
import { openStore, type Store } from "@weft/store";

/** The @weft/cli package directory: the first-party plugins are its dependencies. */
export const CLI_DIR = path.resolve(import.meta.dirname, "..");

/** The data directory: WEFT_DATA_DIR, else ./.data. */
export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.WEFT_DATA_DIR ?? ".data");
}

/** Opens the store, explaining the usual reason an embedded database cannot start. */
export async function openLocalStore(options: { databaseUrl?: string; dataDir?: string } = {}): Promise<Store> {
  const databaseUrl = options.databaseUrl ?? process.env.DATABASE_URL;
  const dir = options.dataDir ?? dataDir();
  try {
    return await openStore({ dataDir: dir, ...(databaseUrl ? { databaseUrl } : {}) });
  } catch (error) {
    if (!databaseUrl) {
      const message = (error as Error).message;
      throw new Error(
        `cannot open the embedded PostgreSQL under ${path.join(dir, "pg")}: ${message}\n` +
          "If `weft start` is running on the same data directory, set WEFT_DATA_DIR to another one or DATABASE_URL.",
        { cause: error },
      );
    }
    throw error;
  }
}

/**
 * The plugins every Weft process loads (the same as a worker's): the first-party plugins (dependencies
 * of @weft/cli), plus WEFT_PLUGINS, plus the `weft` packages among the working directory's dependencies.
 */
export async function loadCatalog(env: NodeJS.ProcessEnv = process.env): Promise<PluginCatalog> {
  return loadPlugins(await pluginsFromEnvironment(env, { from: CLI_DIR }));
}

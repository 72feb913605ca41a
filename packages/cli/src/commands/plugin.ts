// `weft plugin list|schema|new`.
import path from "node:path";
import { loadCatalog } from "../environment.ts";

export async function pluginListCommand(options: { json?: boolean }): Promise<number> {
  const catalog = await loadCatalog();
  const types = catalog.nodeTypes();
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ plugins: catalog.plugins, nodeTypes: types }, null, 2)}\n`);
    return 0;
  }
  for (const plugin of catalog.plugins) {
    process.stdout.write(`${plugin.name}@${plugin.version}${plugin.engine ? `  (engine ${plugin.engine})` : ""}\n`);
    for (const t of types.filter((n) => n.plugin.name === plugin.name))
      process.stdout.write(`  ${t.type}@${t.version}  ${t.category}  ${t.title}\n`);
  }
  const builtins = types.filter((t) => !catalog.plugins.some((p) => p.name === t.plugin.name));
  for (const t of builtins) process.stdout.write(`(built in) ${t.type}@${t.version}  ${t.category}\n`);
  return 0;
}

export async function pluginSchemaCommand(
  type: string,
  options: { version?: string; output?: boolean },
): Promise<number> {
  const catalog = await loadCatalog();
  const found = catalog.nodeType(type, options.version === undefined ? undefined : Number(options.version));
  if (!found) {
    const known = catalog.nodeTypes().map((t) => t.type);
    process.stderr.write(`✗ no installed plugin provides node type ${type}\n  installed: ${known.join(", ")}\n`);
    return 2;
  }
  process.stdout.write(`${JSON.stringify(options.output ? found.outputSchema : found.configSchema, null, 2)}\n`);
  return 0;
}

export async function pluginNewCommand(name: string, options: { dir?: string }): Promise<number> {
  // Imported on use: the scaffolder and its templates are only needed by this command.
  const { scaffoldPlugin } = (await import(new URL("./plugin-new.ts", import.meta.url).href)) as {
    scaffoldPlugin(options: { name: string; dir: string }): { packageName: string; dir: string; files: string[] };
  };
  const short = name.replace(/^@[^/]+\//, "").replace(/^(weft-)?plugin-/, "");
  const dir = path.resolve(options.dir ?? path.join("plugins", short));
  try {
    const created = scaffoldPlugin({ name, dir });
    process.stdout.write(`✓ created ${created.packageName} in ${path.relative(process.cwd(), created.dir) || "."}\n`);
    for (const file of created.files) process.stdout.write(`  ${path.relative(process.cwd(), file)}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`✗ ${(error as Error).message}\n`);
    return 2;
  }
}

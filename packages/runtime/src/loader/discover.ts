// Finding plugin packages on disk: resolving configured names, and scanning a directory's
// dependencies for packages that carry the `weft` field in their package.json.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { LoaderErrorCode, PluginLoadError } from "./errors.ts";

/** The parts of a plugin's package.json the loader reads. */
export interface PluginPackageJson {
  name: string;
  version: string;
  weft?: { engine?: unknown };
  exports?: unknown;
  main?: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

/** A package found on disk. */
export interface PackageOnDisk {
  dir: string;
  pkg: PluginPackageJson;
}

function readPackageJson(file: string): PluginPackageJson | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as PluginPackageJson;
  } catch {
    return undefined;
  }
}

/** Resolves `name` the way Node does from `base`: its node_modules, then every parent's. */
export function findPackage(name: string, bases: readonly string[]): PackageOnDisk | undefined {
  for (const base of bases) {
    let dir = path.resolve(base);
    for (;;) {
      const candidate = path.join(dir, "node_modules", name);
      const pkg = readPackageJson(path.join(candidate, "package.json"));
      if (pkg?.name === name) return { dir: candidate, pkg };
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  return undefined;
}

function exportTarget(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (value && typeof value === "object") {
    const conditions = value as Record<string, unknown>;
    for (const condition of ["import", "node", "default"]) {
      const target = exportTarget(conditions[condition]);
      if (target) return target;
    }
  }
  return undefined;
}

/** The file a package's root export (`exports["."]`, else `main`, else `index.js`) points at. */
export function packageEntry({ dir, pkg }: PackageOnDisk): string {
  const exportsField = pkg.exports;
  let target: string | undefined;
  if (typeof exportsField === "string") target = exportsField;
  else if (exportsField && typeof exportsField === "object") {
    const map = exportsField as Record<string, unknown>;
    target = "." in map ? exportTarget(map["."]) : exportTarget(map);
  }
  const entry = path.resolve(dir, target ?? pkg.main ?? "index.js");
  if (!existsSync(entry))
    throw new PluginLoadError(
      LoaderErrorCode.Invalid,
      `${pkg.name}@${pkg.version}: its entry ${path.relative(dir, entry)} does not exist`,
      { package: pkg.name, version: pkg.version, entry },
    );
  return entry;
}

function nodeModulesNames(dir: string): string[] {
  const root = path.join(dir, "node_modules");
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch {
    return [];
  }
  const names: string[] = [];
  for (const entry of entries) {
    if (entry.startsWith(".")) continue;
    if (entry.startsWith("@")) {
      try {
        for (const scoped of readdirSync(path.join(root, entry))) names.push(`${entry}/${scoped}`);
      } catch {
        // not a directory
      }
    } else names.push(entry);
  }
  return names;
}

/**
 * The packages under `from` that are Weft plugins: every dependency named in `from/package.json`
 * and every package in `from/node_modules`, kept when its package.json has a `weft` field.
 * Sorted by name so loading order (and so error messages) never depend on the file system.
 */
export function discoverPlugins(from: string): PackageOnDisk[] {
  const names = new Set(nodeModulesNames(from));
  const own = readPackageJson(path.join(from, "package.json"));
  for (const field of ["dependencies", "devDependencies", "optionalDependencies"] as const)
    for (const name of Object.keys(own?.[field] ?? {})) names.add(name);
  const found: PackageOnDisk[] = [];
  for (const name of [...names].sort()) {
    const pkg = findPackage(name, [from]);
    if (pkg?.pkg.weft !== undefined) found.push(pkg);
  }
  return found;
}

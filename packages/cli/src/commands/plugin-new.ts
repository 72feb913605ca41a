// `weft plugin new <name>`: scaffolds a plugin package that installs, tests and releases from its
// first commit — one example node, its documented examples run by a test, a committed manifest the
// test keeps fresh, and a changeset. Inside a pnpm workspace it links @weft/sdk with `workspace:`.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { VERSION as KERNEL_VERSION } from "@weft/kernel";
import { VERSION as SDK_VERSION } from "@weft/sdk";

/** What {@link scaffoldPlugin} takes. */
export interface ScaffoldPluginOptions {
  /** A short name (`acme` → `@weft/plugin-acme`) or a full package name (`@acme/weft-plugin-x`, `weft-plugin-x`). */
  name: string;
  /** The package directory to create (must not exist, or be empty). */
  dir: string;
  /** Link `@weft/sdk` from the surrounding pnpm workspace (default: detected from `pnpm-workspace.yaml` above `dir`). */
  workspace?: boolean;
}

/** What {@link scaffoldPlugin} wrote. */
export interface ScaffoldedPlugin {
  packageName: string;
  /** The node type namespace, e.g. `acme` for `acme.hello`. */
  namespace: string;
  dir: string;
  /** The workspace root when scaffolded inside one. */
  workspaceRoot: string | undefined;
  /** Every file written, absolute. */
  files: string[];
}

/** Raised when the name or the target directory cannot be used. */
export class PluginScaffoldError extends Error {
  readonly code = "WEFT_E_PLUGIN_SCAFFOLD";
  constructor(message: string) {
    super(message);
    this.name = "PluginScaffoldError";
  }
}

const TEMPLATES = path.join(import.meta.dirname, "..", "templates", "plugin");
const PACKAGE_NAME = /^(@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;
const ZOD_RANGE = "^4.6.7";

function names(name: string): { packageName: string; namespace: string; title: string } {
  const trimmed = name.trim();
  const full = trimmed.includes("/") || trimmed.startsWith("weft-plugin-") || trimmed.startsWith("plugin-");
  const packageName = full ? trimmed : `@weft/plugin-${trimmed}`;
  if (!PACKAGE_NAME.test(packageName))
    throw new PluginScaffoldError(
      `"${name}" is not a valid package name: use lower-case letters, digits and dashes (e.g. "acme" or "@acme/weft-plugin-scanner")`,
    );
  const base =
    (packageName.split("/").pop() ?? packageName).replace(/^(weft-)?plugin-|-?weft-plugin-?/g, "") || "plugin";
  const words = base.split(/[^a-z0-9]+/).filter(Boolean);
  const namespace = words.map((w, i) => (i === 0 ? w : w[0]?.toUpperCase() + w.slice(1))).join("");
  if (!/^[a-z]/.test(namespace))
    throw new PluginScaffoldError(`"${name}" must start with a letter so its node types can be "${namespace}.…"`);
  const title = words.map((w) => w[0]?.toUpperCase() + w.slice(1)).join(" ");
  return { packageName, namespace, title };
}

function findWorkspaceRoot(from: string): string | undefined {
  let dir = path.resolve(from);
  for (;;) {
    if (existsSync(path.join(dir, "pnpm-workspace.yaml"))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function listTemplates(dir: string, prefix = ""): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? listTemplates(path.join(dir, entry.name), `${prefix}${entry.name}/`)
      : entry.name.endsWith(".tmpl")
        ? [`${prefix}${entry.name}`]
        : [],
  );
}

function render(text: string, values: Record<string, string>): string {
  return text.replace(/__([A-Z_]+)__/g, (match, key: string) => values[key] ?? match);
}

function major(version: string): string {
  return version.split(".")[0] ?? "1";
}

/**
 * Writes a new plugin package into `dir`: package.json (with `"weft": { "engine" }` and @weft/sdk as a
 * peer), src/index.ts with one example node, a test that runs the node's examples and checks the
 * manifest, weft.manifest.json, README, CHANGELOG, tsconfig and a changeset. Installs nothing.
 */
export function scaffoldPlugin(options: ScaffoldPluginOptions): ScaffoldedPlugin {
  const { packageName, namespace, title } = names(options.name);
  const dir = path.resolve(options.dir);
  if (existsSync(dir) && readdirSync(dir).length > 0)
    throw new PluginScaffoldError(`${dir} already exists and is not empty; choose another directory`);
  const workspaceRoot = options.workspace === false ? undefined : findWorkspaceRoot(path.dirname(dir));
  if (options.workspace === true && !workspaceRoot)
    throw new PluginScaffoldError(`${dir} is not inside a pnpm workspace (no pnpm-workspace.yaml above it)`);

  const engine = `^${major(KERNEL_VERSION)}.0.0`;
  const sdkRange = `^${major(SDK_VERSION)}.0.0`;
  const devDependencies: Record<string, string> = workspaceRoot
    ? { "@weft/sdk": "workspace:*" }
    : {
        "@changesets/cli": "^3.0.3",
        "@types/node": "^24.0.0",
        "@weft/sdk": sdkRange,
        typescript: "^5.9.0",
        vitest: "^5.1.0",
      };
  const values: Record<string, string> = {
    PACKAGE_NAME: packageName,
    NAMESPACE: namespace,
    TITLE: title,
    ENGINE: engine,
    ZOD_RANGE,
    SDK_PEER: workspaceRoot ? "workspace:^" : sdkRange,
    DEV_DEPENDENCIES: Object.entries(devDependencies)
      .map(([name, range]) => `    ${JSON.stringify(name)}: ${JSON.stringify(range)}`)
      .join(",\n"),
  };

  const files: string[] = [];
  const write = (relative: string, content: string, root = dir) => {
    const file = path.join(root, relative);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
    files.push(file);
  };
  for (const template of listTemplates(TEMPLATES)) {
    if (template === "changeset.md.tmpl") continue;
    write(template.replace(/\.tmpl$/, ""), render(readFileSync(path.join(TEMPLATES, template), "utf8"), values));
  }

  const compilerOptions = {
    target: "es2024",
    module: "nodenext",
    moduleResolution: "nodenext",
    strict: true,
    noEmit: true,
    allowImportingTsExtensions: true,
    rewriteRelativeImportExtensions: true,
    verbatimModuleSyntax: true,
    erasableSyntaxOnly: true,
    resolveJsonModule: true,
    skipLibCheck: true,
    types: ["node"],
  };
  const tsconfig = workspaceRoot
    ? {
        extends: path.relative(dir, path.join(workspaceRoot, "tsconfig.base.json")).split(path.sep).join("/"),
        compilerOptions: { noEmit: true },
        include: ["src", "test"],
      }
    : { compilerOptions, include: ["src", "test"] };
  write("tsconfig.json", `${JSON.stringify(tsconfig, null, 2)}\n`);
  // Node does not strip types under node_modules: what is published is JavaScript built from src.
  const buildConfig = {
    extends: "./tsconfig.json",
    compilerOptions: { noEmit: false, outDir: "dist", rootDir: ".", declaration: true, sourceMap: true },
    include: ["src"],
    exclude: ["src/**/*.test.ts"],
  };
  write("tsconfig.build.json", `${JSON.stringify(buildConfig, null, 2)}\n`);

  const changeset = render(readFileSync(path.join(TEMPLATES, "changeset.md.tmpl"), "utf8"), values);
  const slug = `${packageName.replace(/^@/, "").replace(/[^a-z0-9]+/g, "-")}-initial.md`;
  if (workspaceRoot) write(path.join(".changeset", slug), changeset, workspaceRoot);
  else {
    write(
      ".changeset/config.json",
      `${JSON.stringify({ changelog: "@changesets/cli/changelog", commit: false, access: "public", baseBranch: "main" }, null, 2)}\n`,
    );
    write(path.join(".changeset", slug), changeset);
  }
  return { packageName, namespace, dir, workspaceRoot, files };
}

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { PluginDefinition } from "@weft/sdk";
import { expectManifestFresh, runExamples } from "@weft/sdk/testing";
import { describe, expect, it } from "vitest";
import { scaffoldPlugin } from "./plugin-new.ts";

const sdkDir = path.resolve(import.meta.dirname, "../../../sdk");
const zodDir = path.dirname(realpathSync(createRequire(path.join(sdkDir, "package.json")).resolve("zod/package.json")));

const workspaceRoot = path.resolve(import.meta.dirname, "../../../..");
const tsc = path.join(workspaceRoot, "node_modules", "typescript", "bin", "tsc");

const read = (file: string) => readFileSync(file, "utf8");
const readJson = (file: string) => JSON.parse(read(file));

describe("scaffoldPlugin", () => {
  it("writes a standalone plugin package whose examples pass and whose manifest is fresh", async () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), "weft-scaffold-")), "acme-scanner");
    const result = scaffoldPlugin({ name: "acme-scanner", dir });
    expect(result).toMatchObject({
      packageName: "@weft/plugin-acme-scanner",
      namespace: "acmeScanner",
      workspaceRoot: undefined,
    });
    for (const file of [
      "package.json",
      "tsconfig.json",
      "tsconfig.build.json",
      "README.md",
      "CHANGELOG.md",
      "weft.manifest.json",
      "src/index.ts",
      "src/hello.ts",
      "src/plugin.test.ts",
      ".changeset/config.json",
      ".changeset/weft-plugin-acme-scanner-initial.md",
    ])
      expect(existsSync(path.join(dir, file)), file).toBe(true);

    const pkg = readJson(path.join(dir, "package.json"));
    expect(pkg).toMatchObject({
      name: "@weft/plugin-acme-scanner",
      version: "1.0.0",
      type: "module",
      exports: { ".": "./src/index.ts", "./package.json": "./package.json" },
      weft: { engine: "^1.0.0" },
      peerDependencies: { "@weft/sdk": "^1.0.0" },
      devDependencies: { "@weft/sdk": "^1.0.0", vitest: expect.any(String) },
      scripts: { test: "vitest run", manifest: "weft-manifest", build: "tsc -p tsconfig.build.json" },
      publishConfig: { exports: { ".": { default: "./dist/src/index.js" } } },
    });
    expect(read(path.join(dir, ".changeset/weft-plugin-acme-scanner-initial.md"))).toMatch(
      /^---\n"@weft\/plugin-acme-scanner": minor\n---\n/,
    );
    expect(read(path.join(dir, "src/plugin.test.ts"))).toContain("expectManifestFresh(plugin");
    expect(read(path.join(dir, "src/hello.ts"))).toContain('type: "acmeScanner.hello"');

    // Link what `pnpm install` would, then load the package the way its own test does.
    mkdirSync(path.join(dir, "node_modules", "@weft"), { recursive: true });
    symlinkSync(sdkDir, path.join(dir, "node_modules", "@weft", "sdk"));
    symlinkSync(zodDir, path.join(dir, "node_modules", "zod"));
    const plugin = (await import(pathToFileURL(path.join(dir, "src/index.ts")).href)).default as PluginDefinition;
    expect(plugin).toMatchObject({ name: "@weft/plugin-acme-scanner", version: "1.0.0", engine: "^1.0.0" });
    expectManifestFresh(plugin, path.join(dir, "weft.manifest.json"));
    for (const node of plugin.nodes) await runExamples(node);

    // It builds: `pnpm build` (tsc) emits the JavaScript that `publishConfig` points at.
    symlinkSync(path.join(workspaceRoot, "node_modules", "@types"), path.join(dir, "node_modules", "@types"));
    execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: dir, stdio: "pipe" });
    const built = (await import(pathToFileURL(path.join(dir, "dist/src/index.js")).href)).default as PluginDefinition;
    expect(built.nodes.map((n) => n.type)).toEqual(plugin.nodes.map((n) => n.type));
  });

  it("links @weft/sdk from the workspace and puts the changeset at the workspace root", () => {
    const root = mkdtempSync(path.join(tmpdir(), "weft-workspace-"));
    writeFileSync(path.join(root, "pnpm-workspace.yaml"), "packages:\n  - plugins/*\n");
    const dir = path.join(root, "plugins", "tickets");
    const result = scaffoldPlugin({ name: "tickets", dir });
    expect(result.workspaceRoot).toBe(root);
    expect(readJson(path.join(dir, "package.json"))).toMatchObject({
      peerDependencies: { "@weft/sdk": "workspace:^" },
      devDependencies: { "@weft/sdk": "workspace:*" },
    });
    expect(readJson(path.join(dir, "tsconfig.json"))).toMatchObject({
      extends: "../../tsconfig.base.json",
      include: ["src", "test"],
    });
    expect(existsSync(path.join(root, ".changeset", "weft-plugin-tickets-initial.md"))).toBe(true);
    expect(existsSync(path.join(dir, ".changeset"))).toBe(false);
  });

  it("keeps a full package name as given", () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), "weft-scaffold-")), "x");
    expect(scaffoldPlugin({ name: "@acme/weft-plugin-edr", dir, workspace: false })).toMatchObject({
      packageName: "@acme/weft-plugin-edr",
      namespace: "edr",
    });
  });

  it("refuses a bad name or a directory that is not empty", () => {
    const base = mkdtempSync(path.join(tmpdir(), "weft-scaffold-"));
    expect(() => scaffoldPlugin({ name: "Bad Name", dir: path.join(base, "a") })).toThrow(/not a valid package name/);
    writeFileSync(path.join(base, "keep.txt"), "x");
    expect(() => scaffoldPlugin({ name: "ok", dir: base })).toThrow(/already exists and is not empty/);
  });
});

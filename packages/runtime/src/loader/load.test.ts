import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { validate } from "@weft/kernel";
import { defineNode, definePlugin } from "@weft/sdk";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defaultPlugins, loadPlugins } from "./index.ts";

const sdkDir = path.resolve(import.meta.dirname, "../../../sdk");
const zodDir = path.dirname(realpathSync(createRequire(path.join(sdkDir, "package.json")).resolve("zod/package.json")));

/** A project directory with node_modules holding the given packages (sdk and zod linked in). */
function project(packages: Record<string, { pkg: object; index: string }>, dependencies: string[] = []): string {
  const dir = mkdtempSync(path.join(tmpdir(), "weft-loader-"));
  writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify({ name: "ops", private: true, dependencies: Object.fromEntries(dependencies.map((d) => [d, "*"])) }),
  );
  mkdirSync(path.join(dir, "node_modules", "@weft"), { recursive: true });
  symlinkSync(sdkDir, path.join(dir, "node_modules", "@weft", "sdk"));
  symlinkSync(zodDir, path.join(dir, "node_modules", "zod"));
  for (const [name, { pkg, index }] of Object.entries(packages)) {
    const pkgDir = path.join(dir, "node_modules", name);
    mkdirSync(pkgDir, { recursive: true });
    writeFileSync(
      path.join(pkgDir, "package.json"),
      JSON.stringify({ name, type: "module", exports: "./index.js", ...pkg }),
    );
    writeFileSync(path.join(pkgDir, "index.js"), index);
  }
  return dir;
}

function pluginSource(name: string, version: string, type = "acme.scan") {
  return `
import { defineNode, definePlugin } from "@weft/sdk";
import { z } from "zod";
const scan = defineNode({
  type: ${JSON.stringify(type)}, version: ${Number(version.split(".")[0])}, category: "integration", title: "Scan", description: "Starts a scan",
  config: z.object({ target: z.string().meta({ title: "Target" }) }), output: z.object({ id: z.string() }),
  strategy: { execute: (ctx) => ({ id: "scan-" + ctx.config.target }) },
});
export default definePlugin({ name: ${JSON.stringify(name)}, version: ${JSON.stringify(version)}, nodes: [scan] });
`;
}

const fixture = (engine: string, version = "1.2.0", name = "weft-plugin-acme") => ({
  [name]: { pkg: { version, weft: { engine } }, index: pluginSource(name, version) },
});

describe("loadPlugins", () => {
  it("loads the first-party plugins into a catalog the API can serve", async () => {
    const catalog = await loadPlugins({ plugins: defaultPlugins });
    expect(catalog.plugins.map((p) => p.name)).toEqual(["@weft/plugin-core", "@weft/plugin-http"]);
    expect(catalog.plugins[0]?.engine).toBe("^1.0.0");
    const types = catalog.nodeTypes().map((t) => t.type);
    expect(types).toEqual(
      expect.arrayContaining(["trigger.manual", "http.request", "control.delay", "approval.request"]),
    );
    expect(catalog.nodeType("http.request")).toMatchObject({
      version: 1,
      plugin: { name: "@weft/plugin-http", version: "1.0.0" },
      category: "action",
      title: "HTTP request",
      ports: ["default"],
      credentials: ["http.basic", "http.bearer", "http.apiKey"],
      configSchema: { type: "object", required: ["url"] },
    });
    expect(catalog.nodeType("trigger.manual")).toMatchObject({ plugin: { name: "@weft/kernel" }, category: "trigger" });
    expect(catalog.registry.resolve("approval.request", 1).descriptor.ports).toEqual(["approved", "rejected"]);
  });

  it("describes credential types and validates their values without echoing secrets", async () => {
    const catalog = await loadPlugins({ plugins: defaultPlugins });
    const bearer = catalog.credentialType("http.bearer");
    expect(bearer).toMatchObject({ secret: ["token"], plugin: { name: "@weft/plugin-http" } });
    expect(bearer?.validate({ token: "abc" })).toEqual({ ok: true, values: { token: "abc" } });
    expect(bearer?.validate({ token: "" })).toEqual({
      ok: false,
      issues: [expect.objectContaining({ path: ["token"] })],
    });
    expect(catalog.credentialTypes().map((c) => c.type)).toEqual(["http.apiKey", "http.basic", "http.bearer"]);
  });

  it("discovers installed packages carrying the weft field and ignores the others", async () => {
    const dir = project(
      { ...fixture("^1.0.0"), "left-pad": { pkg: { version: "1.0.0" }, index: "export default 1;" } },
      ["weft-plugin-acme", "left-pad"],
    );
    const catalog = await loadPlugins({ discover: { from: dir } });
    expect(catalog.plugins).toEqual([{ name: "weft-plugin-acme", version: "1.2.0", engine: "^1.0.0" }]);
    expect(catalog.nodeType("acme.scan")).toMatchObject({
      version: 1,
      plugin: { name: "weft-plugin-acme", version: "1.2.0" },
    });
    // Listed and discovered is the same package once, not a duplicate.
    const both = await loadPlugins({ plugins: ["weft-plugin-acme"], discover: { from: dir } });
    expect(both.plugins).toHaveLength(1);
  });

  it("refuses a plugin built for another kernel major, naming the package and both versions", async () => {
    const dir = project(fixture("^2.0.0", "2.0.0"));
    const loading = loadPlugins({ discover: { from: dir } });
    await expect(loading).rejects.toMatchObject({
      code: "WEFT_E_PLUGIN_ENGINE",
      details: { package: "weft-plugin-acme", version: "2.0.0", engine: "^2.0.0", kernel: "1.0.0" },
    });
    await expect(loading).rejects.toThrow(
      "weft-plugin-acme@2.0.0 requires @weft/kernel ^2.0.0, but @weft/kernel 1.0.0 is running",
    );
  });

  it("refuses an engine field that is not a semver range", async () => {
    const dir = project(fixture("latest"));
    await expect(loadPlugins({ discover: { from: dir } })).rejects.toMatchObject({ code: "WEFT_E_PLUGIN_ENGINE" });
  });

  it("refuses two versions of one plugin", async () => {
    const dir = project(fixture("^1.0.0", "1.2.0"));
    const older = definePlugin({ name: "weft-plugin-acme", version: "1.1.0", nodes: [] });
    await expect(loadPlugins({ plugins: [older], discover: { from: dir } })).rejects.toThrow(
      /plugin weft-plugin-acme is loaded twice: 1.1.0 \(passed in-process\) and 1.2.0 \(installed in .*\)/,
    );
  });

  it("refuses two plugins providing the same node type, naming both", async () => {
    const impostor = definePlugin({
      name: "@acme/plugin-fetch",
      version: "1.0.0",
      nodes: [
        defineNode({
          type: "http.request",
          version: 1,
          category: "action",
          title: "Fetch",
          description: "Another HTTP node",
          config: z.object({}),
          output: z.object({}),
          strategy: { execute: () => ({}) },
        }),
      ],
    });
    const loading = loadPlugins({ plugins: ["@weft/plugin-http", impostor] });
    await expect(loading).rejects.toMatchObject({
      code: "WEFT_E_PLUGIN_DUPLICATE",
      details: { type: "http.request", packages: ["@weft/plugin-http@1.0.0", "@acme/plugin-fetch@1.0.0"] },
    });
  });

  it("says which package is missing or is not a plugin", async () => {
    await expect(loadPlugins({ plugins: ["@acme/plugin-nowhere"] })).rejects.toMatchObject({
      code: "WEFT_E_PLUGIN_NOT_FOUND",
      details: { package: "@acme/plugin-nowhere" },
    });
    const dir = project({
      "weft-plugin-empty": { pkg: { version: "1.0.0", weft: { engine: "^1.0.0" } }, index: "export default {};" },
    });
    await expect(loadPlugins({ discover: { from: dir } })).rejects.toThrow(
      /weft-plugin-empty@1.0.0 .* must default-export definePlugin/,
    );
    const renamed = project({
      "weft-plugin-renamed": {
        pkg: { version: "1.0.0", weft: { engine: "^1.0.0" } },
        index: pluginSource("other-name", "1.0.0"),
      },
    });
    await expect(loadPlugins({ discover: { from: renamed } })).rejects.toMatchObject({ code: "WEFT_E_PLUGIN_INVALID" });
  });

  it("fails validation of a node pinned to a major that is not installed", async () => {
    const catalog = await loadPlugins({ plugins: defaultPlugins });
    const issues = validate(
      {
        name: "old",
        nodes: [
          { id: "start", type: "trigger.manual", version: 1, data: {} },
          { id: "call", type: "http.request", version: 2, data: { config: { url: "https://example.com" } } },
        ],
        edges: [{ id: "e", source: "start", target: "call" }],
      },
      catalog.registry,
    );
    expect(issues).toEqual([
      expect.objectContaining({
        code: "WEFT_E_NODE_VERSION",
        nodeId: "call",
        message: expect.stringMatching(/http.request.*2.*1/),
      }),
    ]);
  });
});

// Published packages must load from node_modules, where Node does not strip TypeScript: `pnpm pack`
// (which builds through `prepack` and applies `publishConfig`) must yield JavaScript entry points that
// import and run. Checked on the chain a plugin author depends on: kernel ← sdk ← a plugin.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "..");
const packed = ["packages/kernel", "packages/sdk", "plugins/core"];
const work = mkdtempSync(path.join(tmpdir(), "weft-publish-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function install(dir: string, modules: string): string {
  const tarballs = path.join(work, "tarballs");
  mkdirSync(tarballs, { recursive: true });
  const before = new Set(readdirSync(tarballs));
  execFileSync("pnpm", ["pack", "--pack-destination", tarballs], { cwd: path.join(root, dir), stdio: "pipe" });
  const tarball = readdirSync(tarballs).find((f) => !before.has(f));
  if (!tarball) throw new Error(`pnpm pack produced nothing for ${dir}`);
  const pkg = JSON.parse(readFileSync(path.join(root, dir, "package.json"), "utf8"));
  const target = path.join(modules, pkg.name);
  mkdirSync(target, { recursive: true });
  execFileSync("tar", ["-xzf", path.join(tarballs, tarball), "-C", target, "--strip-components=1"]);
  // Third-party dependencies come from the workspace's own install.
  for (const dep of Object.keys(pkg.dependencies ?? {}).filter((d) => !d.startsWith("@weft/"))) {
    const link = path.join(modules, dep);
    try {
      mkdirSync(path.dirname(link), { recursive: true });
      symlinkSync(realpathSync(path.join(root, dir, "node_modules", dep)), link);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  return target;
}

it("packs kernel, sdk and a plugin into JavaScript that loads and runs from node_modules", () => {
  const modules = path.join(work, "app", "node_modules");
  const dirs = packed.map((dir) => install(dir, modules));
  for (const dir of dirs) {
    const manifest = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8"));
    expect(JSON.stringify(manifest.exports)).not.toMatch(/(?<!\.d)\.ts"/);
    expect(JSON.stringify(manifest.dependencies ?? {})).not.toContain("workspace:");
  }
  const script = `
    import core from "@weft/plugin-core";
    import { runNode } from "@weft/sdk/testing";
    const noop = core.nodes.find((n) => n.type === "control.noop");
    const result = await runNode(noop, { config: { value: { packed: true } } });
    console.log(JSON.stringify({ plugin: core.name, outcome: result.outcome }));
  `;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
    cwd: path.join(work, "app"),
    encoding: "utf8",
  });
  const result = JSON.parse(out.trim().split("\n").at(-1) ?? "{}");
  expect(result.plugin).toBe("@weft/plugin-core");
  expect(result.outcome).toEqual({ status: "succeeded", output: { packed: true }, port: "default" });
}, 120_000);

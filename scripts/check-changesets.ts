// Fails when a published package's source changed without a changeset naming it, or when a
// changeset names a package that is not in the workspace. The base is WEFT_CHANGESET_BASE, else the
// merge-base with origin/main; on a clone with neither (CI's fresh clone of main) only the names are checked.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const git = (...args: string[]) => execFileSync("git", args, { cwd: root, encoding: "utf8" }).trim();

const packages = new Map<string, { dir: string; private: boolean }>();
for (const group of ["packages", "plugins", "apps"]) {
  let entries: string[] = [];
  try {
    entries = readdirSync(path.join(root, group));
  } catch {
    continue;
  }
  for (const entry of entries) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(root, group, entry, "package.json"), "utf8"));
      packages.set(pkg.name, { dir: `${group}/${entry}`, private: pkg.private === true });
    } catch {
      // not a package directory
    }
  }
}

const problems: string[] = [];
const named = new Map<string, string[]>();
for (const file of readdirSync(path.join(root, ".changeset")).filter((f) => f.endsWith(".md") && f !== "README.md")) {
  const text = readFileSync(path.join(root, ".changeset", file), "utf8");
  const front = /^---\n([\s\S]*?)\n---/.exec(text);
  if (!front?.[1]) {
    problems.push(`.changeset/${file}: no front matter listing packages and bumps`);
    continue;
  }
  for (const line of front[1].split("\n").filter((l) => l.trim())) {
    const m = /^["']?([^"':]+)["']?\s*:\s*(major|minor|patch)\s*$/.exec(line.trim());
    if (!m?.[1]) {
      problems.push(`.changeset/${file}: cannot read "${line}" (expected "<package>": major|minor|patch)`);
      continue;
    }
    if (!packages.has(m[1])) problems.push(`.changeset/${file}: names ${m[1]}, which is not a workspace package`);
    named.set(m[1], [...(named.get(m[1]) ?? []), file]);
  }
}

function baseRef(): string | undefined {
  if (process.env.WEFT_CHANGESET_BASE) return process.env.WEFT_CHANGESET_BASE;
  try {
    return git("merge-base", "HEAD", "origin/main");
  } catch {
    return undefined;
  }
}

const base = baseRef();
if (base) {
  const added = new Set(
    git("diff", "--name-only", "--diff-filter=A", base, "--", ".changeset")
      .split("\n")
      .filter((f) => f.endsWith(".md")),
  );
  const addedNames = new Set<string>();
  for (const [name, files] of named) if (files.some((f) => added.has(`.changeset/${f}`))) addedNames.add(name);
  const changed = git("diff", "--name-only", base, "--", "packages", "plugins", "apps").split("\n");
  for (const [name, info] of packages) {
    if (info.private) continue;
    const touched = changed.some((f) => f.startsWith(`${info.dir}/src/`) && !f.endsWith(".test.ts"));
    if (touched && !addedNames.has(name))
      problems.push(`${name}: src/ changed since ${base.slice(0, 10)} without a changeset`);
  }
}

if (problems.length > 0) {
  console.error(`check-changesets: ${problems.length} problem(s)\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  console.error("Write one with `pnpm changeset`.");
  process.exit(1);
}
console.log(`check-changesets: ok (${packages.size} packages${base ? `, base ${base.slice(0, 10)}` : ", names only"})`);

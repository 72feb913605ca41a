// `pnpm bench [filter]`: runs every bench/*.bench.ts (and packages' bench files), prints a table and
// writes bench/results.json.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { type BenchEntry, type BenchResult, complete, machine } from "./harness.ts";

const root = path.resolve(import.meta.dirname, "..");
const filter = process.argv[2];

function benchFiles(): string[] {
  const files: string[] = [];
  for (const group of ["bench", ...["packages", "plugins", "apps"].flatMap((g) => dirs(g).map((d) => `${d}/bench`))]) {
    for (const f of safeReaddir(path.join(root, group)))
      if (f.endsWith(".bench.ts")) files.push(path.join(root, group, f));
  }
  return files.sort();
}
function dirs(group: string): string[] {
  return safeReaddir(path.join(root, group)).map((d) => `${group}/${d}`);
}
function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

const machineName = machine();
const at = new Date();
const results: BenchResult[] = [];
// The filter matches a file's path or an entry's name. Files are imported one at a time, so one entry's
// broken module is reported and skipped instead of stopping the others.
for (const file of benchFiles()) {
  const relative = path.relative(root, file);
  let entry: BenchEntry;
  try {
    entry = (await import(pathToFileURL(file).href)).default as BenchEntry;
  } catch (error) {
    if (!filter || relative.includes(filter)) process.stderr.write(`bench: cannot load ${relative}: ${error}\n`);
    continue;
  }
  if (filter && !relative.includes(filter) && !entry.name.includes(filter)) continue;
  process.stderr.write(`bench: ${entry.name} (${relative})\n`);
  for (const figure of await entry.run()) results.push(complete(figure, at, machineName));
}

const fmt = (n: number) => (Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 1 ? n.toFixed(2) : n.toPrecision(3));
console.log(`machine: ${machineName}`);
console.table(
  results.map((r) => ({
    name: r.name,
    value: `${fmt(r.value)} ${r.unit}`,
    baseline: r.baseline,
    baselineValue: `${fmt(r.baselineValue)} ${r.unit}`,
    ratio: fmt(r.ratio),
  })),
);
// A filtered run updates its own entries and keeps the others' last figures.
const file = path.join(root, "bench", "results.json");
let kept: BenchResult[] = [];
if (filter) {
  try {
    const names = new Set(results.map((r) => r.name));
    kept = (JSON.parse(readFileSync(file, "utf8")) as BenchResult[]).filter((r) => !names.has(r.name));
  } catch {
    kept = [];
  }
}
writeFileSync(file, `${JSON.stringify([...kept, ...results], null, 2)}\n`);
console.log(`wrote bench/results.json (${results.length} results)`);

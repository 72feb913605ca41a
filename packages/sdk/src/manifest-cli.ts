#!/usr/bin/env node
// `weft-manifest [dir]`: regenerates a plugin package's weft.manifest.json (default: the current package).
import path from "node:path";
import { writeManifest } from "./manifest-file.ts";

const dir = path.resolve(process.argv[2] ?? process.cwd());
try {
  const file = await writeManifest(dir);
  console.log(`wrote ${path.relative(process.cwd(), file) || file}`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}

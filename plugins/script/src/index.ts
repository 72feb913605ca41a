// @weft/plugin-script: the `script.run` node.

import { definePlugin } from "@weft/sdk";
import pkg from "../package.json" with { type: "json" };
import { run } from "./run.ts";

export { run, runConfig, runOutput } from "./run.ts";

export default definePlugin({
  name: pkg.name,
  version: pkg.version,
  engine: pkg.weft.engine,
  description: pkg.description,
  nodes: [run],
});

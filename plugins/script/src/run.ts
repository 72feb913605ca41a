// `script.run`: the node's config `code` is the body of an async function run in the sandbox. It sees
// `input`, `nodes` and `attempt` (copies) and `console`; its return value is the node's output. A
// script that throws fails the attempt retryably; a sandbox limit fails it for good.

import { SANDBOX_POOL, SandboxError, SandboxPool } from "@weft/sandbox";
import type { LogEntry, NodeLogger } from "@weft/sdk";
import { defineNode } from "@weft/sdk";
import { z } from "zod";

/** The config of `script.run`. Limits are bounded by the operator maxima of the sandbox pool. */
export const runConfig = z.object({
  code: z.string().min(1).meta({
    title: "Code",
    description:
      "Body of an async function: `return` gives the output. Globals: `input` (the run input), `nodes` ({ nodeId: output } of finished upstream nodes), `attempt` (1 for the first), `console`.",
    widget: "code",
  }),
  timeoutMs: z
    .int()
    .min(1)
    .optional()
    .meta({ title: "Timeout (ms)", description: "Wall time, awaits included; capped by the operator's maximum." }),
  memoryMb: z
    .int()
    .min(8)
    .optional()
    .meta({ title: "Memory (MB)", description: "Heap limit; capped by the operator's maximum." }),
});

/** The output of `script.run`: whatever JSON value the script returns (`null` for nothing). */
export const runOutput = z.json();

let fallbackPool: SandboxPool | undefined;

/** The pool used when the runtime registers none under `SANDBOX_POOL` (created on first use). */
function defaultPool(): SandboxPool {
  fallbackPool ??= new SandboxPool();
  return fallbackPool;
}

function writeLogs(logger: NodeLogger, logs: LogEntry[]): void {
  for (const entry of logs) logger[entry.level](entry.message, entry.fields);
}

export const run = defineNode({
  type: "script.run",
  version: 1,
  category: "transform",
  title: "Run a script",
  description:
    "Runs JavaScript in an isolated sandbox over the run input and upstream outputs; its return value is the output.",
  icon: "code",
  config: runConfig,
  output: runOutput,
  examples: [
    {
      name: "count high-severity findings",
      config: { code: "return input.findings.filter((f) => f.severity >= 3).length;" },
      input: { findings: [{ severity: 4 }, { severity: 1 }, { severity: 3 }] },
    },
  ],
  strategy: {
    async execute(ctx) {
      const pool = ctx.services.has(SANDBOX_POOL) ? ctx.services.get<SandboxPool>(SANDBOX_POOL) : defaultPool();
      const limits: { timeoutMs?: number; memoryMb?: number } = {};
      if (ctx.config.timeoutMs !== undefined) limits.timeoutMs = ctx.config.timeoutMs;
      if (ctx.config.memoryMb !== undefined) limits.memoryMb = ctx.config.memoryMb;
      try {
        const result = await pool.run(ctx.config.code, {
          globals: { input: ctx.input, nodes: ctx.inputs, attempt: ctx.attempt },
          limits,
          signal: ctx.signal,
        });
        writeLogs(ctx.logger, result.logs);
        return result.value;
      } catch (error) {
        if (error instanceof SandboxError) writeLogs(ctx.logger, error.logs);
        throw error;
      }
    },
  },
});

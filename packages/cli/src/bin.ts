#!/usr/bin/env -S node --no-node-snapshot
// The `weft` command.
import { Command, Option } from "commander";
import { migrateCommand } from "./commands/migrate.ts";
import { pluginListCommand, pluginNewCommand, pluginSchemaCommand } from "./commands/plugin.ts";
import { pruneCommand } from "./commands/prune.ts";
import { runCommand } from "./commands/run.ts";
import { startCommand } from "./commands/start.ts";
import { validateCommand } from "./commands/validate.ts";
import { workerCommand } from "./commands/worker.ts";
import { VERSION } from "./index.ts";

/** Runs a command that ends: its exit code becomes the process's (pools and timers may linger). */
function ends<A extends unknown[]>(action: (...args: A) => Promise<number>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const code = await action(...args);
    process.exit(code);
  };
}

const program = new Command("weft")
  .version(VERSION)
  .description("Weft: plugin-based workflow engine for security-operations automation.")
  .showHelpAfterError();

program
  .command("start")
  .description("serve the API and execute runs in this process (embedded PostgreSQL unless DATABASE_URL)")
  .addHelpText(
    "after",
    "\nEnvironment: PORT (3000), HOST (127.0.0.1), WEFT_DATA_DIR (./.data), DATABASE_URL, REDIS_URL, WEFT_ADMIN_API_KEY, WEFT_SCHEDULER_INTERVAL_MS (5000), WEFT_SHUTDOWN_GRACE_MS (30000)",
  )
  .action(() => startCommand());

program
  .command("worker")
  .description("run a BullMQ worker (needs REDIS_URL)")
  .option("--concurrency <n>", "runs executed at once (WEFT_WORKER_CONCURRENCY, default 10)")
  .option("--port <port>", "port of /healthz, /readyz, /metrics (0: a free one)")
  .action((options: { concurrency?: string; port?: string }) => workerCommand(options));

program
  .command("run")
  .description("validate and execute a workflow file locally (no server needed)")
  .argument("<workflow.json>", "the workflow file")
  .option("--input <json|@file>", "the run input, as JSON or @file.json")
  .option("--credentials <file.json>", 'credentials for this run: { "<name>": { "type": "…", "values": { … } } }')
  .option("--json", "print only the final run record as JSON")
  .addHelpText("after", "\nExit codes: 0 the run succeeded, 1 it failed, 2 the workflow or input is invalid.")
  .action(
    ends((file: string, options: { input?: string; credentials?: string; json?: boolean }) =>
      runCommand(file, options),
    ),
  );

program
  .command("validate")
  .description("check a workflow file against the installed node types")
  .argument("<workflow.json>")
  .action(ends((file: string) => validateCommand(file)));

const plugin = program.command("plugin").description("installed plugins and plugin scaffolding");
plugin
  .command("list")
  .description("installed plugins and their node types")
  .option("--json", "as JSON")
  .action(ends((options: { json?: boolean }) => pluginListCommand(options)));
plugin
  .command("schema")
  .description("a node type's config JSON Schema")
  .argument("<type>", "node type, e.g. http.request")
  .option("--version <major>", "plugin major (default: the highest installed)")
  .addOption(new Option("--output", "print the output schema instead"))
  .action(ends((type: string, options: { version?: string; output?: boolean }) => pluginSchemaCommand(type, options)));
plugin
  .command("new")
  .description("scaffold a plugin package")
  .argument("<name>", "short name (acme → @weft/plugin-acme) or a package name")
  .option("--dir <dir>", "target directory (default: plugins/<name>)")
  .action(ends((name: string, options: { dir?: string }) => pluginNewCommand(name, options)));

program
  .command("prune")
  .description("delete finished runs (with their steps) older than N days; active runs are kept")
  .option("--older-than <days>", "age in days since the run finished (required)")
  .option("--batch-size <n>", "runs deleted per transaction (default 500)")
  .addHelpText(
    "after",
    "\nDATABASE_URL, else the embedded database under WEFT_DATA_DIR. Exit codes: 0 done, 2 bad arguments.",
  )
  .action(ends((options: { olderThan?: string; batchSize?: string }) => pruneCommand(options)));

program
  .command("migrate")
  .description("apply database migrations (DATABASE_URL, else the embedded database)")
  .action(ends(() => migrateCommand()));

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.stderr.write(`weft: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}

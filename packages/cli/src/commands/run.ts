// `weft run <workflow.json>`: validate and execute a workflow file locally.

import { loadCatalog, openLocalStore } from "../environment.ts";
import { progressPrinter, summaryLine } from "../progress.ts";
import { runWorkflow } from "../run-workflow.ts";
import {
  InvalidInputError,
  type LocalCredentials,
  loadCredentials,
  loadWorkflowFile,
  parseInput,
} from "../workflow-file.ts";

export interface RunCommandOptions {
  input?: string;
  credentials?: string;
  json?: boolean;
}

/** Exit codes: 0 succeeded, 1 failed (or still waiting), 2 invalid workflow/input/credentials. */
export async function runCommand(file: string, options: RunCommandOptions): Promise<number> {
  const catalog = await loadCatalog();
  let definition: ReturnType<typeof loadWorkflowFile>;
  let input: ReturnType<typeof parseInput>;
  let credentials: LocalCredentials;
  try {
    const problems: InvalidInputError[] = [];
    const attempt = <T>(fn: () => T): T | undefined => {
      try {
        return fn();
      } catch (error) {
        if (error instanceof InvalidInputError) problems.push(error);
        else throw error;
        return undefined;
      }
    };
    // Every problem at once: the workflow's, the input's and the credentials'.
    const d = attempt(() => loadWorkflowFile(file, catalog));
    const i = attempt(() => parseInput(options.input));
    const c = attempt(() => loadCredentials(options.credentials, catalog));
    if (problems.length > 0) throw new InvalidInputError(problems.flatMap((p) => p.problems));
    definition = d as NonNullable<typeof d>;
    input = i ?? null;
    credentials = c ?? {};
  } catch (error) {
    if (error instanceof InvalidInputError) {
      process.stderr.write(`✗ ${file} cannot run:\n`);
      for (const p of error.problems)
        process.stderr.write(`  ${p.where}: ${p.message}${p.code ? ` [${p.code}]` : ""}\n`);
      return 2;
    }
    throw error;
  }

  const store = await openLocalStore();
  try {
    const print = options.json ? undefined : progressPrinter(definition, (line) => process.stderr.write(`${line}\n`));
    const result = await runWorkflow({
      store,
      catalog,
      definition,
      input,
      credentials,
      ...(print ? { onEvent: print } : {}),
    });
    if (options.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else {
      process.stderr.write(`${summaryLine(result)}\n`);
      process.stdout.write(`${JSON.stringify(result.output, null, 2)}\n`);
    }
    return result.status === "succeeded" ? 0 : 1;
  } catch (error) {
    // What the store refuses (e.g. text PostgreSQL cannot hold) is the input's fault, not a crash.
    const e = error as { code?: unknown; message?: unknown; details?: { field?: unknown } };
    if (e?.code === "WEFT_E_STORE_VALIDATION") {
      process.stderr.write(`✗ ${file} cannot run:
`);
      process.stderr.write(`  ${String(e.details?.field ?? "input")}: ${String(e.message)} [${e.code}]
`);
      return 2;
    }
    throw error;
  } finally {
    await store.close();
  }
}

// `weft prune --older-than <days>`: retention. Deletes finished runs (with their steps and
// approvals) that finished more than N days ago; queued, running, paused and waiting runs are kept.
import { openLocalStore } from "../environment.ts";

export interface PruneCommandOptions {
  olderThan?: string;
  batchSize?: string;
}

const DAYS = /^\d+(\.\d+)?$/;
const COUNT = /^[1-9]\d*$/;

/** Exit codes: 0 done (the count is printed), 2 bad arguments. */
export async function pruneCommand(options: PruneCommandOptions): Promise<number> {
  const problems: string[] = [];
  if (options.olderThan === undefined) problems.push("--older-than <days> is required");
  else if (!DAYS.test(options.olderThan)) problems.push(`--older-than: not a number of days: ${options.olderThan}`);
  if (options.batchSize !== undefined && !COUNT.test(options.batchSize))
    problems.push(`--batch-size: not a positive integer: ${options.batchSize}`);
  if (problems.length > 0) {
    process.stderr.write("✗ weft prune cannot run:\n");
    for (const problem of problems) process.stderr.write(`  ${problem}\n`);
    return 2;
  }
  const olderThanDays = Number(options.olderThan);
  const store = await openLocalStore();
  try {
    const deleted = await store.runs.prune(
      olderThanDays,
      options.batchSize === undefined ? undefined : Number(options.batchSize),
    );
    process.stdout.write(
      `✓ deleted ${deleted} run${deleted === 1 ? "" : "s"} finished more than ${olderThanDays} days ago\n`,
    );
    return 0;
  } finally {
    await store.close();
  }
}

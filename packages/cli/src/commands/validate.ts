// `weft validate <workflow.json>`: every problem of a workflow file, or "ok".
import { loadCatalog } from "../environment.ts";
import { InvalidInputError, loadWorkflowFile } from "../workflow-file.ts";

export async function validateCommand(file: string): Promise<number> {
  const catalog = await loadCatalog();
  try {
    const definition = loadWorkflowFile(file, catalog);
    process.stdout.write(`✓ ${file} is valid (${definition.nodes.length} nodes, ${definition.edges.length} edges)\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    process.stderr.write(`✗ ${file}: ${error.problems.length} problem(s)\n`);
    for (const p of error.problems) process.stderr.write(`  ${p.where}: ${p.message}${p.code ? ` [${p.code}]` : ""}\n`);
    return 2;
  }
}

// Reading what `weft run` and `weft validate` are given: the workflow file, `--input` and
// `--credentials`, each checked with every problem reported at once.
import { readFileSync } from "node:fs";
import path from "node:path";
import { type Json, validate, type WorkflowDefinition } from "@weft/kernel";
import type { PluginCatalog } from "@weft/runtime";
import { findNul } from "@weft/store";

/** One problem with the command's input, printed as `where: message`. */
export interface Problem {
  where: string;
  message: string;
  code?: string;
}

/** Thrown when the workflow, input or credentials are invalid (exit code 2). */
export class InvalidInputError extends Error {
  readonly problems: Problem[];
  constructor(problems: Problem[]) {
    super(problems.map((p) => `${p.where}: ${p.message}`).join("\n"));
    this.name = "InvalidInputError";
    this.problems = problems;
  }
}

function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new InvalidInputError([{ where: file, message: `cannot read ${what}: ${(error as Error).message}` }]);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError([{ where: file, message: `${what} is not valid JSON: ${(error as Error).message}` }]);
  }
}

/** The database cannot store a NUL character (`\u0000`) in any text or JSON: say where it is. */
function refuseNul(value: unknown, where: string): void {
  const at = findNul(value);
  if (!at) return;
  const shown = at.length ? ` › ${at.join(".").replaceAll("\u0000", "\\u0000")}` : "";
  throw new InvalidInputError([
    { where: `${where}${shown}`, message: "contains a NUL character (\\u0000), which cannot be stored" },
  ]);
}

/** Reads a workflow file and checks it against the installed node types. */
export function loadWorkflowFile(file: string, catalog: PluginCatalog): WorkflowDefinition {
  const definition = readJson(file, "the workflow file");
  refuseNul(definition, path.basename(file));
  const issues = validate(definition, catalog.registry);
  if (issues.length > 0) {
    throw new InvalidInputError(
      issues.map((issue) => ({
        where: [
          path.basename(file),
          issue.nodeId ? `node ${issue.nodeId}` : undefined,
          issue.edgeId ? `edge ${issue.edgeId}` : undefined,
          issue.path?.length ? issue.path.join(".") : undefined,
        ]
          .filter(Boolean)
          .join(" › "),
        message: issue.message,
        code: issue.code,
      })),
    );
  }
  return definition as WorkflowDefinition;
}

/** `--input '<json>'` or `--input @file.json`. */
export function parseInput(value: string | undefined): Json {
  if (value === undefined) return null;
  let input: Json;
  if (value.startsWith("@")) input = readJson(value.slice(1), "the input file") as Json;
  else {
    try {
      input = JSON.parse(value) as Json;
    } catch (error) {
      throw new InvalidInputError([{ where: "--input", message: `not valid JSON: ${(error as Error).message}` }]);
    }
  }
  refuseNul(input, "--input");
  return input;
}

/** Credentials for a local run: `{ "<name>": { "type": "<credential type>", "values": { … } } }`. */
export type LocalCredentials = Record<string, { type: string; values: Record<string, unknown> }>;

/** Reads and checks a `--credentials` file against the installed credential types. */
export function loadCredentials(file: string | undefined, catalog: PluginCatalog): LocalCredentials {
  if (file === undefined) return {};
  const raw = readJson(file, "the credentials file");
  const where = path.basename(file);
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new InvalidInputError([
      { where, message: 'expected { "<name>": { "type": "<credential type>", "values": { … } } }' },
    ]);
  }
  const problems: Problem[] = [];
  const credentials: LocalCredentials = {};
  for (const [name, entry] of Object.entries(raw as Record<string, unknown>)) {
    const e = entry as { type?: unknown; values?: unknown } | null;
    if (!e || typeof e.type !== "string" || !e.values || typeof e.values !== "object" || Array.isArray(e.values)) {
      problems.push({ where: `${where} › ${name}`, message: "expected { type: string, values: object }" });
      continue;
    }
    const type = catalog.credentialType(e.type);
    if (!type) {
      problems.push({
        where: `${where} › ${name}.type`,
        message: `no installed plugin declares credential type ${e.type}`,
      });
      continue;
    }
    const checked = type.validate(e.values);
    if (!checked.ok) {
      for (const issue of checked.issues)
        problems.push({ where: `${where} › ${name}.values.${issue.path.join(".")}`, message: issue.message });
      continue;
    }
    credentials[name] = { type: e.type, values: checked.values };
  }
  if (problems.length > 0) throw new InvalidInputError(problems);
  return credentials;
}

// Conditions and config templates: JSONata, compiled once per source text and evaluated with
// guard rails (time, depth, sequence size), never `eval`/`new Function`.
import jsonata from "jsonata";
import type { Json, NodeStatus } from "./contracts.ts";
import { WeftError } from "./errors.ts";

/**
 * What an expression sees. `$input` is also the expression's context (`$`), so `severity` and
 * `$input.severity` mean the same.
 */
export interface ExpressionScope {
  /** The run input (the trigger payload). */
  $input: Json;
  /** Every node of the run by id: its output once it has one, and its status. */
  $nodes: Readonly<Record<string, { output?: Json; status: NodeStatus }>>;
  $run: { id: string; workflowId: string; startedAt: string };
  /** Workflow variables (the definition's `vars`, overridden by the run's). */
  $vars: Readonly<Record<string, Json>>;
}

/** A compiled expression. */
export interface CompiledExpression {
  readonly source: string;
  evaluate(scope: ExpressionScope): Promise<unknown>;
}

/** Limits applied to every evaluation: wall time, evaluation depth, sequence length. */
const GUARDS = { timeout: 1_000, stack: 500, sequence: 100_000 };
const CACHE_LIMIT = 2_000;
const cache = new Map<string, CompiledExpression>();

interface JsonataFailure {
  code?: string;
  message?: string;
  position?: number;
  token?: string;
}

function failureDetails(source: string, error: unknown): Json {
  const failure = (typeof error === "object" && error !== null ? error : {}) as JsonataFailure;
  const details: Record<string, Json> = { expression: source };
  if (typeof failure.code === "string") details.jsonataCode = failure.code;
  if (typeof failure.position === "number") details.position = failure.position;
  if (typeof failure.token === "string") details.token = failure.token;
  return details;
}

function messageOf(error: unknown): string {
  const message = (error as JsonataFailure | undefined)?.message;
  return typeof message === "string" ? message : String(error);
}

/**
 * Compiles a JSONata expression (cached by source text). Throws `WeftError` `WEFT_E_EXPRESSION`
 * with the position of the syntax error in `details`.
 */
export function compileExpression(source: string): CompiledExpression {
  const hit = cache.get(source);
  if (hit !== undefined) return hit;
  let expression: jsonata.Expression;
  try {
    expression = jsonata(source, GUARDS);
  } catch (error) {
    throw new WeftError("WEFT_E_EXPRESSION", `Expression does not compile: ${messageOf(error)}`, {
      details: failureDetails(source, error),
    });
  }
  const compiled: CompiledExpression = {
    source,
    async evaluate(scope) {
      try {
        const value = await expression.evaluate(scope.$input, {
          input: scope.$input,
          nodes: scope.$nodes,
          run: scope.$run,
          vars: scope.$vars,
        });
        return plain(value);
      } catch (error) {
        throw new WeftError("WEFT_E_EXPRESSION", `Expression failed: ${messageOf(error)}`, {
          details: failureDetails(source, error),
        });
      }
    },
  };
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(source, compiled);
  return compiled;
}

/** Compiles (cached) and evaluates one expression. Rejects with `WEFT_E_EXPRESSION`. */
export function evaluateExpression(source: string, scope: ExpressionScope): Promise<unknown> {
  try {
    return compileExpression(source).evaluate(scope);
  } catch (error) {
    return Promise.reject(error);
  }
}

// JSONata marks result arrays as "sequences" with extra properties; outputs must be plain JSON.
function plain(value: unknown): unknown {
  if (Array.isArray(value)) return Array.from(value, plain);
  if (typeof value === "function") return undefined;
  return value;
}

// ---------------------------------------------------------------------------------------------
// Templates: `{{ expression }}` inside config strings
// ---------------------------------------------------------------------------------------------

type TemplatePart = string | CompiledExpression;

/** A string split into literal text and `{{ }}` expressions; `exact` when it is one template only. */
interface ParsedTemplate {
  parts: TemplatePart[];
  exact: boolean;
}

// Finds the `}}` that closes a template opened at `from`, skipping string literals and the braces
// of object constructors, so `{{ {"a": {"b": 1}} }}` closes where a reader expects.
function closingBraces(text: string, from: number): number {
  let depth = 0;
  let quote = "";
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = "";
    } else if (c === '"' || c === "'" || c === "`") quote = c;
    else if (c === "{") depth++;
    else if (c === "}") {
      if (depth > 0) depth--;
      else if (text[i + 1] === "}") return i;
    }
  }
  return -1;
}

function splitTemplate(text: string): { parts: (string | { source: string })[]; exact: boolean } | undefined {
  let start = text.indexOf("{{");
  if (start < 0) return undefined;
  const parts: (string | { source: string })[] = [];
  let cursor = 0;
  while (start >= 0) {
    const end = closingBraces(text, start + 2);
    if (end < 0) break;
    if (start > cursor) parts.push(text.slice(cursor, start));
    parts.push({ source: text.slice(start + 2, end).trim() });
    cursor = end + 2;
    start = text.indexOf("{{", cursor);
  }
  if (parts.length === 0) return undefined;
  if (cursor < text.length) parts.push(text.slice(cursor));
  return { parts, exact: parts.length === 1 && typeof parts[0] !== "string" };
}

/** The expressions inside a string's `{{ }}` templates (empty when it has none). */
export function templateExpressions(text: string): string[] {
  const split = splitTemplate(text);
  if (split === undefined) return [];
  return split.parts.flatMap((part) => (typeof part === "string" ? [] : [part.source]));
}

const parsedTemplates = new Map<string, ParsedTemplate | null>();

function parseTemplate(text: string): ParsedTemplate | null {
  const hit = parsedTemplates.get(text);
  if (hit !== undefined) return hit;
  const split = splitTemplate(text);
  const parsed: ParsedTemplate | null =
    split === undefined
      ? null
      : {
          exact: split.exact,
          parts: split.parts.map((part) => (typeof part === "string" ? part : compileExpression(part.source))),
        };
  if (parsedTemplates.size >= CACHE_LIMIT) parsedTemplates.clear();
  parsedTemplates.set(text, parsed);
  return parsed;
}

/** True when `value` holds a `{{ }}` template anywhere (strings, arrays, plain objects). */
export function hasTemplates(value: unknown): boolean {
  if (typeof value === "string") return value.includes("{{");
  if (Array.isArray(value)) return value.some(hasTemplates);
  if (typeof value === "object" && value !== null) return Object.values(value).some(hasTemplates);
  return false;
}

function interpolate(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  return JSON.stringify(value) ?? "";
}

/**
 * Resolves every `{{ expression }}` in `value`, deeply. A string that is exactly one template takes
 * the expression's value and type (number, object, ...); any other string interpolates the values
 * as text (objects as JSON). Values without templates are returned as they are, not copied.
 */
export async function resolveTemplates<T>(value: T, scope: ExpressionScope): Promise<T> {
  if (typeof value === "string") {
    const parsed = parseTemplate(value);
    if (parsed === null) return value;
    if (parsed.exact) return (await (parsed.parts[0] as CompiledExpression).evaluate(scope)) as T;
    let text = "";
    for (const part of parsed.parts) text += typeof part === "string" ? part : interpolate(await part.evaluate(scope));
    return text as T;
  }
  if (Array.isArray(value)) {
    if (!hasTemplates(value)) return value;
    const out: unknown[] = [];
    for (const item of value) out.push(await resolveTemplates(item, scope));
    return out as T;
  }
  if (typeof value === "object" && value !== null) {
    if (!hasTemplates(value)) return value;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = await resolveTemplates(item, scope);
    return out as T;
  }
  return value;
}

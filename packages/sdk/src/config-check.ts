// Config as stored in a workflow still holds `{{ expression }}` templates, which only resolve at run
// time. Design-time validation therefore parses the raw config and forgives every issue that a
// template could explain: the value at the issue's path (or an ancestor of it) is a template, or the
// value there contains one.
import type { ConfigIssue } from "@weft/kernel";
import type { z } from "zod";

const TEMPLATE = /\{\{[\s\S]*?\}\}/;

/** True when `value` is a string holding at least one `{{ }}` template. */
export function isTemplate(value: unknown): value is string {
  return typeof value === "string" && TEMPLATE.test(value);
}

function containsTemplate(value: unknown): boolean {
  if (isTemplate(value)) return true;
  if (Array.isArray(value)) return value.some(containsTemplate);
  if (value !== null && typeof value === "object") return Object.values(value).some(containsTemplate);
  return false;
}

function explainedByTemplate(config: unknown, path: readonly PropertyKey[]): boolean {
  let value: unknown = config;
  for (const key of path) {
    if (isTemplate(value)) return true;
    if (value === null || typeof value !== "object") return false;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return containsTemplate(value);
}

/** Turns zod issues into the kernel's config issues (paths kept, symbols dropped). */
export function toConfigIssues(issues: readonly z.core.$ZodIssue[]): ConfigIssue[] {
  return issues.map((issue) => ({
    path: issue.path.filter((key): key is string | number => typeof key !== "symbol"),
    message: issue.message,
  }));
}

/**
 * Validates raw (unresolved) config against a node's schema. Issues a template could explain are
 * dropped; the rest are returned with their paths.
 */
export function checkRawConfig(schema: z.ZodType, config: unknown): ConfigIssue[] {
  const result = schema.safeParse(config ?? {});
  if (result.success) return [];
  return toConfigIssues(result.error.issues.filter((issue) => !explainedByTemplate(config ?? {}, issue.path)));
}

// zod schema → JSON Schema 2020-12 with the designer's UI hints. Hints are written on zod fields with
// `.meta({ title, description, widget, enumLabels, order, secret })`; zod copies meta keys verbatim,
// and this module renames the Weft ones to their `x-weft-*` form so the document stays valid JSON Schema.
import { z } from "zod";

/** The UI hints a config field may carry through `.meta()`. */
export interface FieldHints {
  /** Field label in the designer. */
  title?: string;
  /** Help text under the field. */
  description?: string;
  /** Editor to render: `code` (monospace, JSONata/JSON), `multiline` (textarea), `expression`. */
  widget?: "code" | "multiline" | "expression";
  /** Display labels for enum values, by value. */
  enumLabels?: Record<string, string>;
  /** Position of the field in its form (lower first); declaration order otherwise. */
  order?: number;
  /** The field holds a secret: the designer masks it and the API never returns it. */
  secret?: boolean;
}

/** A JSON Schema document (draft 2020-12) as plain JSON. */
export type JsonSchema = { [key: string]: unknown };

const RENAMES: Record<string, string> = {
  widget: "x-weft-widget",
  enumLabels: "x-weft-enum-labels",
  order: "x-weft-order",
  secret: "x-weft-secret",
};

function renameHints(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) renameHints(item);
    return;
  }
  if (node === null || typeof node !== "object") return;
  const record = node as Record<string, unknown>;
  for (const [from, to] of Object.entries(RENAMES)) {
    if (from in record && !(from === "order" && typeof record[from] !== "number")) {
      record[to] = record[from];
      delete record[from];
    }
  }
  const properties = record.properties;
  if (properties && typeof properties === "object" && record.type === "object") {
    let index = 0;
    for (const property of Object.values(properties as Record<string, Record<string, unknown>>)) {
      if (property && typeof property === "object" && !("x-weft-order" in property)) property["x-weft-order"] = index;
      index++;
    }
  }
  for (const value of Object.values(record)) renameHints(value);
}

/**
 * Converts a zod schema to JSON Schema 2020-12 with `x-weft-*` UI hints. `io: "input"` describes what
 * a user writes (fields with defaults are optional), `"output"` what a node produces. Types JSON Schema
 * cannot express become `{}` rather than failing the manifest.
 */
export function toJsonSchema(schema: z.ZodType, io: "input" | "output", secret: readonly string[] = []): JsonSchema {
  const json = z.toJSONSchema(schema, { target: "draft-2020-12", io, unrepresentable: "any" }) as JsonSchema;
  const properties = json.properties as Record<string, JsonSchema> | undefined;
  for (const field of secret) {
    const property = properties?.[field];
    if (property) {
      property.secret = true;
      property.writeOnly = true;
    }
  }
  renameHints(json);
  return json;
}

declare module "zod" {
  /** Weft's UI hints, accepted (and type-checked) by every zod schema's `.meta()`. */
  interface GlobalMeta {
    widget?: FieldHints["widget"];
    enumLabels?: FieldHints["enumLabels"];
    order?: FieldHints["order"];
    secret?: FieldHints["secret"];
  }
}

// OpenAPI 3.1 from the route table: the same zod schemas the routes validate with, converted with
// zod 4's own JSON Schema generator (draft 2020-12, which OpenAPI 3.1 uses as its schema dialect).
import { z } from "zod";
import type { AnyRoute } from "./http/route.ts";

type JsonSchema = Record<string, unknown>;

const ERROR_SCHEMA: JsonSchema = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message"],
      properties: {
        code: { type: "string", description: "A stable WEFT_E_* code (docs/errors.md)." },
        message: { type: "string" },
        details: { description: "Structured facts: field paths for validation errors, ids, issues." },
      },
    },
  },
};

/** Builds the OpenAPI 3.1 document of the routes. */
export function openApiDocument(routes: readonly AnyRoute[], info: { version: string }): JsonSchema {
  const components: Record<string, JsonSchema> = { Error: ERROR_SCHEMA };
  const paths: Record<string, Record<string, unknown>> = {};
  const convert = (schema: z.ZodType, io: "input" | "output", hint: string) => toSchema(schema, io, hint, components);

  for (const route of routes) {
    const path = route.path.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
    const parameters: unknown[] = [];
    if (route.params) parameters.push(...objectParameters(convert(route.params, "input", route.operationId), "path"));
    if (route.query) parameters.push(...objectParameters(convert(route.query, "input", route.operationId), "query"));

    const responses: Record<string, unknown> = {};
    for (const [status, response] of Object.entries(route.responses)) {
      responses[status] = {
        description: response.description,
        ...(route.stream && Number(status) < 300
          ? { content: { "text/event-stream": { schema: { type: "string" } } } }
          : response.schema
            ? { content: { "application/json": { schema: convert(response.schema, "output", route.operationId) } } }
            : {}),
      };
    }
    const error = (description: string) => ({
      description,
      content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
    });
    if (route.params || route.query || route.body) responses["400"] ??= error("Invalid input (WEFT_E_VALIDATION).");
    if (route.body) {
      responses["413"] ??= error("Body larger than the limit (WEFT_E_PAYLOAD_TOO_LARGE).");
    }
    if (route.access === "signature") responses["401"] ??= error("Missing or wrong signature, or stale timestamp.");
    else if (route.access !== "public") {
      responses["401"] ??= error("No valid API key (WEFT_E_UNAUTHENTICATED).");
      responses["403"] ??= error(`The key's role is below ${route.access} (WEFT_E_FORBIDDEN).`);
    }
    if (route.params) responses["404"] ??= error("Unknown id (WEFT_E_NOT_FOUND and friends).");

    const operation: Record<string, unknown> = {
      operationId: route.operationId,
      summary: route.summary,
      tags: [route.tag],
      ...(route.description ? { description: route.description } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(route.body
        ? {
            requestBody: {
              required: true,
              content: { "application/json": { schema: convert(route.body, "input", route.operationId) } },
            },
          }
        : {}),
      responses,
      ...(route.access === "public" || route.access === "signature"
        ? { security: [] }
        : { "x-weft-role": route.access }),
    };
    paths[path] ??= {};
    (paths[path] as Record<string, unknown>)[route.method] = operation;
  }

  return {
    openapi: "3.1.0",
    info: {
      title: "Weft API",
      version: info.version,
      description:
        "Drive Weft: workflows, versions, runs, approvals, node types, credentials, API keys and webhook triggers. " +
        "Errors are `{ error: { code, message, details } }`.",
    },
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    servers: [{ url: "/" }],
    security: [{ bearer: [] }],
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "An API key." } },
      schemas: components,
    },
  };
}

/** One zod schema as an OpenAPI schema object; its `$defs` move into `components.schemas`. */
function toSchema(schema: z.ZodType, io: "input" | "output", hint: string, components: Record<string, JsonSchema>) {
  const json = z.toJSONSchema(schema, { io, target: "draft-2020-12", unrepresentable: "any" }) as JsonSchema;
  delete json.$schema;
  const defs = (json.$defs ?? {}) as Record<string, JsonSchema>;
  delete json.$defs;
  const renamed = new Map<string, string>();
  for (const name of Object.keys(defs)) {
    // Anonymous definitions (zod's `__schemaN`) are local to one conversion: qualify them.
    let target = name.startsWith("__") ? `${hint}${name.replace(/^_+/, "_")}` : name;
    if (components[target] && !name.startsWith("__")) target = name;
    renamed.set(name, target);
  }
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (value && typeof value === "object") {
      const out: JsonSchema = {};
      for (const [key, inner] of Object.entries(value)) {
        if (key === "$ref" && typeof inner === "string" && inner.startsWith("#/$defs/")) {
          const name = inner.slice("#/$defs/".length);
          out[key] = `#/components/schemas/${renamed.get(name) ?? name}`;
        } else out[key] = rewrite(inner);
      }
      return out;
    }
    return value;
  };
  for (const [name, def] of Object.entries(defs)) components[renamed.get(name) ?? name] = rewrite(def) as JsonSchema;
  return rewrite(json) as JsonSchema;
}

function objectParameters(schema: JsonSchema, location: "path" | "query"): unknown[] {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: location,
      required: location === "path" ? true : required.has(name) && !("default" in property),
      ...(typeof description === "string" ? { description } : {}),
      schema: rest,
    };
  });
}

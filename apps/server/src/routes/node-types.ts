// The plugin catalog: every installed node type with the JSON Schemas the designer renders forms from.
import { z } from "zod";
import type { RouteContext } from "../context.ts";
import { ApiError, ServerErrorCode } from "../errors.ts";
import { type AnyRoute, defineRoute, ok } from "../http/route.ts";
import { nodeTypeParams, nodeTypeQuery, nodeTypeSchema, nodeTypeVersionQuery } from "../schemas.ts";

export function nodeTypeRoutes(c: RouteContext): AnyRoute[] {
  return [
    defineRoute({
      method: "get",
      path: "/api/node-types",
      operationId: "listNodeTypes",
      summary: "List installed node types",
      tag: "node-types",
      access: "viewer",
      query: nodeTypeQuery,
      responses: { 200: { description: "Node types.", schema: z.object({ items: z.array(nodeTypeSchema) }) } },
      handler: async ({ query }) => {
        const text = query.q?.toLowerCase();
        const items = c.catalog
          .nodeTypes()
          .filter((t: { category: string }) => query.category === undefined || t.category === query.category)
          .filter(
            (t: { type: string; title?: string; description?: string }) =>
              text === undefined ||
              [t.type, t.title ?? "", t.description ?? ""].some((field) => field.toLowerCase().includes(text)),
          );
        return ok({ items });
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/node-types/:type",
      operationId: "getNodeType",
      summary: "One node type (highest installed major unless ?version=)",
      tag: "node-types",
      access: "viewer",
      params: nodeTypeParams,
      query: nodeTypeVersionQuery,
      responses: { 200: { description: "The node type.", schema: nodeTypeSchema } },
      handler: async ({ params, query }) => {
        const found = c.catalog.nodeType(params.type, query.version);
        if (!found) {
          throw new ApiError(
            ServerErrorCode.NotFound,
            `no installed plugin provides node type ${params.type}${query.version === undefined ? "" : ` v${query.version}`}`,
            { type: params.type, ...(query.version === undefined ? {} : { version: query.version }) },
          );
        }
        return ok(found);
      },
    }),
  ];
}

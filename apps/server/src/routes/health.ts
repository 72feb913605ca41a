// Liveness, readiness, Prometheus metrics and the OpenAPI document: no authentication.
import type { Registry } from "prom-client";
import { z } from "zod";
import type { RouteContext } from "../context.ts";
import { ApiError, ServerErrorCode } from "../errors.ts";
import { type AnyRoute, defineRoute, ok } from "../http/route.ts";
import { metricsText } from "../metrics.ts";
import { healthSchema, readySchema } from "../schemas.ts";

export function healthRoutes(c: RouteContext, openapi: () => unknown): AnyRoute[] {
  return [
    defineRoute({
      method: "get",
      path: "/api/health",
      operationId: "getHealth",
      summary: "Liveness: the process answers",
      tag: "system",
      access: "public",
      responses: { 200: { description: "Alive.", schema: healthSchema } },
      handler: async () => ok({ status: "ok", version: c.version }),
    }),
    defineRoute({
      method: "get",
      path: "/api/ready",
      operationId: "getReady",
      summary: "Readiness: the database answers",
      tag: "system",
      access: "public",
      responses: {
        200: { description: "Ready to serve.", schema: readySchema },
        503: { description: "Not ready (WEFT_E_NOT_READY).", schema: readySchema },
      },
      handler: async () => {
        try {
          await c.store.workflows.list({ limit: 1 });
        } catch (error) {
          c.logger.warn({ err: error }, "readiness check failed");
          throw new ApiError(ServerErrorCode.NotReady, "the database does not answer", {
            checks: { database: "down" },
          });
        }
        return ok({ status: "ready", checks: { database: "up" } });
      },
    }),
    defineRoute({
      method: "get",
      path: "/metrics",
      operationId: "getMetrics",
      summary: "Prometheus metrics (text exposition format)",
      tag: "system",
      access: "public",
      responses: { 200: { description: "Metrics in the Prometheus text format.", schema: z.string() } },
      handler: async () => {
        const registries: Registry[] = [c.metrics.registry];
        if (c.runtime.metrics) registries.push(c.runtime.metrics as Registry);
        const text = await metricsText(registries);
        return { status: 200, body: text.body, headers: { "Content-Type": text.contentType } };
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/openapi.json",
      operationId: "getOpenApi",
      summary: "This API as an OpenAPI 3.1 document",
      tag: "system",
      access: "public",
      responses: { 200: { description: "The OpenAPI document." } },
      handler: async () => ok(openapi()),
    }),
  ];
}

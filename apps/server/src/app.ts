// The Koa application: one edge middleware (request id, error envelope, metrics, access log), then
// the router built from the route table. Each route runs auth → params → query → body → handler.
import { randomUUID } from "node:crypto";
import { Router } from "@koa/router";
import Koa, { type Context } from "koa";
import type { Logger } from "pino";
import { ApiError, ServerErrorCode, toHttpError } from "./errors.ts";
import { authorise, type KeyVerifier } from "./http/auth.ts";
import { jsonBody } from "./http/body.ts";
import { byteSize, readRawBody } from "./http/raw-body.ts";
import type { AnyRoute } from "./http/route.ts";
import { parseInput, rejectNul } from "./http/validation.ts";
import type { HttpMetrics } from "./metrics.ts";

export interface AppOptions {
  routes: readonly AnyRoute[];
  verify: KeyVerifier;
  logger: Logger;
  metrics: HttpMetrics;
  /** Largest accepted request body (bytes or "1mb"). */
  bodyLimit: number | string;
}

/** Builds the Koa application serving `routes`. */
export function buildApp(options: AppOptions): Koa {
  const { logger, metrics } = options;
  const limit = byteSize(options.bodyLimit);
  const parseJson = jsonBody(limit);
  const app = new Koa({ proxy: process.env.WEFT_TRUST_PROXY === "1" });
  // Errors are answered by the edge middleware; what reaches Koa's handler happened after the
  // response started (a broken stream) and is only worth a log line.
  app.silent = true;
  app.on("error", (error: unknown) => logger.warn({ err: error }, "response stream failed"));

  app.use(async (ctx, next) => {
    const started = performance.now();
    const requestId = ctx.get("x-request-id") || randomUUID();
    ctx.set("X-Request-Id", requestId);
    try {
      await next();
      if (ctx.status === 404 && ctx.body == null) {
        throw new ApiError(ServerErrorCode.RouteNotFound, `no route ${ctx.method} ${ctx.path}`);
      }
    } catch (error) {
      const answer = toHttpError(error);
      if (answer.fault) logger.error({ err: error, requestId, method: ctx.method, path: ctx.path }, "request failed");
      ctx.status = answer.status;
      ctx.body = answer.body;
    } finally {
      const seconds = (performance.now() - started) / 1000;
      const route = (ctx.state.route as string | undefined) ?? "unmatched";
      metrics.observe(ctx.method, route, ctx.status, seconds);
      logger.debug({ requestId, method: ctx.method, route, status: ctx.status, ms: seconds * 1000 }, "request");
    }
  });

  const router = new Router();
  for (const route of options.routes) {
    router[route.method](route.path, async (ctx: Context) => {
      ctx.state.route = route.path;
      const actor = await authorise(ctx, route.access, options.verify, route.stream === true);
      rejectNul(ctx.params, "params");
      rejectNul(ctx.query, "query");
      let params: unknown = {};
      if (route.params) {
        // A path that does not fit its parameter's shape names nothing that exists.
        const result = route.params.safeParse(ctx.params);
        if (!result.success) throw new ApiError(ServerErrorCode.NotFound, `nothing at ${ctx.path}`);
        params = result.data;
      }
      const query = route.query ? parseInput(route.query, ctx.query, "query") : {};
      let body: unknown;
      if (route.access === "signature") {
        ctx.state.rawBody = await readRawBody(ctx, limit);
      } else if (route.body) {
        await parseJson(ctx, async () => {});
        rejectNul(ctx.request.body, "body");
        body = parseInput(route.body, ctx.request.body, "body");
      }
      const result = await route.handler({ params, query, body, actor, ctx });
      if (result) {
        ctx.status = result.status ?? 200;
        if (result.headers) ctx.set(result.headers);
        ctx.body = result.body === undefined ? null : result.body;
      }
    });
  }
  app.use(router.routes());
  app.use(
    router.allowedMethods({
      throw: true,
      methodNotAllowed: () => new ApiError(ServerErrorCode.MethodNotAllowed, "method not allowed on this path"),
      notImplemented: () => new ApiError(ServerErrorCode.MethodNotAllowed, "method not implemented"),
    }),
  );
  return app;
}

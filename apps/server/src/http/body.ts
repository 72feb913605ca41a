// JSON bodies: parsed after authentication (an anonymous caller learns nothing about the body
// rules), limited in size, and every parser failure answered as a typed 4xx.
import { bodyParser } from "@koa/bodyparser";
import type { Context, Next } from "koa";
import { ApiError, ServerErrorCode } from "../errors.ts";

/** A Koa middleware that parses a JSON body of at most `limit` (bytes or "1mb"). */
export function jsonBody(limit: number | string): (ctx: Context, next: Next) => Promise<unknown> {
  return bodyParser({
    enableTypes: ["json"],
    // Every body of this API is JSON, whatever Content-Type the client sent (curl -d sends a form type).
    detectJSON: () => true,
    jsonLimit: limit,
    jsonStrict: true,
    onError(error, ctx) {
      throw bodyError(error, ctx, limit);
    },
  });
}

function bodyError(error: unknown, ctx: Context, limit: number | string): ApiError {
  const e = error as { status?: number; type?: string; message?: string; limit?: number; length?: number };
  if (e.status === 413 || e.type === "entity.too.large") {
    return new ApiError(ServerErrorCode.PayloadTooLarge, `request body exceeds the limit of ${String(limit)}`, {
      limit: e.limit ?? limit,
      length: e.length ?? Number(ctx.get("content-length") || 0),
    });
  }
  if (e.status === 415 || e.type === "encoding.unsupported" || e.type === "charset.unsupported") {
    return new ApiError(ServerErrorCode.UnsupportedMediaType, e.message ?? "unsupported body encoding");
  }
  return new ApiError(ServerErrorCode.MalformedJson, `request body is not valid JSON: ${e.message ?? "parse error"}`, {
    hint: "send a JSON object or array",
  });
}

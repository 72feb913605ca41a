// Reads a request body as text with a size limit — for webhooks, whose signature covers the exact
// bytes sent, so they must be verified before (and independently of) JSON parsing.
import type { Context } from "koa";
import { ApiError, ServerErrorCode } from "../errors.ts";

const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/** `1048576`, `"1mb"`, `"512kb"` → bytes. */
export function byteSize(limit: number | string): number {
  if (typeof limit === "number") return limit;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$/i.exec(limit);
  if (!match) throw new TypeError(`not a byte size: ${limit}`);
  return Math.floor(Number(match[1]) * (UNITS[(match[2] ?? "b").toLowerCase()] ?? 1));
}

/** The body as UTF-8 text; 413 beyond `limit` bytes. */
export async function readRawBody(ctx: Context, limit: number): Promise<string> {
  const declared = Number(ctx.get("content-length") || 0);
  const tooLarge = (length: number) =>
    new ApiError(ServerErrorCode.PayloadTooLarge, `request body exceeds the limit of ${limit} bytes`, {
      limit,
      length,
    });
  if (declared > limit) {
    // Drain what the client sends so it reads the 413 instead of a reset connection.
    ctx.req.resume();
    throw tooLarge(declared);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    let failed = false;
    ctx.req.on("data", (chunk: Buffer) => {
      if (failed) return;
      length += chunk.length;
      if (length > limit) {
        failed = true;
        reject(tooLarge(length));
        return;
      }
      chunks.push(chunk);
    });
    ctx.req.once("end", () => {
      if (!failed) resolve(Buffer.concat(chunks).toString("utf8"));
    });
    ctx.req.once("error", (error) => {
      if (!failed) reject(error);
    });
  });
}

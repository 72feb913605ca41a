// Reading a response body without trusting the server: a size cap enforced while streaming (a
// Content-Length can lie or be absent), and JSON parsed only when asked or announced.
import type { Json } from "@weft/sdk";
import { NodeError } from "@weft/sdk";
import { HttpErrorCode } from "./errors.ts";

function tooLarge(limit: number, seen: number | string): NodeError {
  return new NodeError(
    HttpErrorCode.ResponseTooLarge,
    `the response body is larger than maxResponseBytes (${limit} bytes)`,
    { details: { maxResponseBytes: limit, received: seen } },
  );
}

/** Reads at most `limit` bytes of the body; throws `WEFT_E_HTTP_RESPONSE_TOO_LARGE` past it. */
export async function readBody(response: Response, limit: number): Promise<string> {
  const declared = Number(response.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel().catch(() => {});
    throw tooLarge(limit, declared);
  }
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge(limit, `more than ${limit}`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function isJsonType(contentType: string | null): boolean {
  return contentType !== null && /^application\/([\w.+-]+\+)?json\b|^text\/json\b/i.test(contentType.trim());
}

/** The body as the node outputs it: parsed JSON when asked (`json`) or announced (`auto`), else text. */
export function decodeBody(text: string, contentType: string | null, responseType: "auto" | "json" | "text"): Json {
  if (text === "") return null;
  if (responseType === "text") return text;
  if (responseType === "auto" && !isJsonType(contentType)) return text;
  try {
    return JSON.parse(text) as Json;
  } catch (error) {
    if (responseType === "auto") return text;
    throw new NodeError(HttpErrorCode.ResponseInvalid, "the response body is not valid JSON", {
      details: { contentType, excerpt: text.slice(0, 200) },
      cause: error,
    });
  }
}

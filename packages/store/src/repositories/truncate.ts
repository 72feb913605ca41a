// Step outputs are capped so one huge API response cannot bloat the database. The row keeps a
// preview and the original size; `outputTruncated` tells readers the output is not the real one.
import type { Json } from "../records.ts";

export interface StoredOutput {
  output: Json;
  truncated: boolean;
  bytes: number | null;
}

export function capOutput(output: Json | undefined, maxBytes: number): StoredOutput {
  if (output === undefined) return { output: null, truncated: false, bytes: null };
  const text = JSON.stringify(output);
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes <= maxBytes) return { output, truncated: false, bytes };
  // Cutting inside a multi-byte character leaves a replacement character at the end: harmless for a preview.
  const preview = Buffer.from(text, "utf8")
    .subarray(0, Math.max(0, maxBytes - 128))
    .toString("utf8");
  return { output: { truncated: true, bytes, preview }, truncated: true, bytes };
}

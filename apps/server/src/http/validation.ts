// zod at the edge: a request part that does not match its schema is a 400 listing every issue with
// where it is (`body`, `query`, `params`) and the path inside it.
import { findNul } from "@weft/store";
import type { z } from "zod";
import { ApiError, ServerErrorCode } from "../errors.ts";

/** One problem with the request, e.g. `{ in: "body", path: ["nodes", 0, "id"], message }`. */
export interface InputIssue {
  in: "body" | "query" | "params" | "header";
  path: (string | number)[];
  code: string;
  message: string;
}

/** Parses `value` with `schema` or throws WEFT_E_VALIDATION with every issue. */
export function parseInput<T>(schema: z.ZodType<T>, value: unknown, where: InputIssue["in"]): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues: InputIssue[] = result.error.issues.map((issue) => ({
    in: where,
    path: issue.path.map((segment) => (typeof segment === "symbol" ? String(segment) : segment)),
    code: issue.code,
    message: issue.message,
  }));
  const first = issues[0];
  const at = first ? `${where}${first.path.length ? `.${first.path.join(".")}` : ""}` : where;
  throw new ApiError(
    ServerErrorCode.Validation,
    `invalid request ${where}: ${first?.message ?? "does not match the schema"} (at ${at})${
      issues.length > 1 ? ` and ${issues.length - 1} more` : ""
    }`,
    { issues },
  );
}

/**
 * Refuses a request part holding a NUL character (`\u0000`) anywhere, object keys included: no text
 * or JSON column of PostgreSQL can hold it, so it is bad input whatever field it is in.
 */
export function rejectNul(value: unknown, where: InputIssue["in"]): void {
  const path = findNul(value);
  if (!path) return;
  const shown = [where, ...path].join(".").replaceAll("\u0000", "\\u0000");
  throw new ApiError(
    ServerErrorCode.Validation,
    `invalid request ${where}: a NUL character (\\u0000) is not accepted (at ${shown})`,
    { issues: [{ in: where, path, code: "nul_character", message: "NUL characters (\\u0000) are not accepted" }] },
  );
}

// The API's error registry and the one place where every WEFT_E_* code — the server's own and those
// of the packages below it — is mapped to an HTTP status. Documented in docs/errors.md.
import { KERNEL_ERRORS } from "@weft/kernel";
import { RUNTIME_ERROR_CODES } from "@weft/runtime";
import type { StoreErrorCode } from "@weft/store";

/** The server's own error codes. */
export const ServerErrorCode = {
  Validation: "WEFT_E_VALIDATION",
  MalformedJson: "WEFT_E_MALFORMED_JSON",
  PayloadTooLarge: "WEFT_E_PAYLOAD_TOO_LARGE",
  UnsupportedMediaType: "WEFT_E_UNSUPPORTED_MEDIA_TYPE",
  Unauthenticated: "WEFT_E_UNAUTHENTICATED",
  Forbidden: "WEFT_E_FORBIDDEN",
  NotFound: "WEFT_E_NOT_FOUND",
  RouteNotFound: "WEFT_E_ROUTE_NOT_FOUND",
  MethodNotAllowed: "WEFT_E_METHOD_NOT_ALLOWED",
  Conflict: "WEFT_E_CONFLICT",
  WorkflowInvalid: "WEFT_E_INVALID_WORKFLOW",
  WebhookSignature: "WEFT_E_WEBHOOK_SIGNATURE",
  WebhookReplay: "WEFT_E_WEBHOOK_REPLAY",
  NotReady: "WEFT_E_NOT_READY",
  Internal: "WEFT_E_INTERNAL",
} as const;
export type ServerErrorCode = (typeof ServerErrorCode)[keyof typeof ServerErrorCode];

const SERVER_STATUS: Record<ServerErrorCode, number> = {
  WEFT_E_VALIDATION: 400,
  WEFT_E_MALFORMED_JSON: 400,
  WEFT_E_PAYLOAD_TOO_LARGE: 413,
  WEFT_E_UNSUPPORTED_MEDIA_TYPE: 415,
  WEFT_E_UNAUTHENTICATED: 401,
  WEFT_E_FORBIDDEN: 403,
  WEFT_E_NOT_FOUND: 404,
  WEFT_E_ROUTE_NOT_FOUND: 404,
  WEFT_E_METHOD_NOT_ALLOWED: 405,
  WEFT_E_CONFLICT: 409,
  WEFT_E_INVALID_WORKFLOW: 422,
  WEFT_E_WEBHOOK_SIGNATURE: 401,
  WEFT_E_WEBHOOK_REPLAY: 409,
  WEFT_E_NOT_READY: 503,
  WEFT_E_INTERNAL: 500,
};

// Store errors carry no HTTP status: they are mapped here, exhaustively (a new store code does not
// compile until it has a status). Runtime codes come with theirs (RUNTIME_ERROR_CODES), kernel codes
// from KERNEL_ERRORS. Anything else is a server fault: 500 with a generic message, details only in the log.
const STORE_STATUS: Record<StoreErrorCode, number> = {
  WEFT_E_STORE_NOT_FOUND: 404,
  WEFT_E_STORE_CONFLICT: 409,
  WEFT_E_STORE_VALIDATION: 400,
  WEFT_E_STORE_CONNECTION: 503,
  WEFT_E_STORE_ENCRYPTION_KEY: 500,
  WEFT_E_STORE_DECRYPT: 500,
};
const FOREIGN_STATUS: Record<string, number> = { ...STORE_STATUS, ...RUNTIME_ERROR_CODES };

/** An error the API answers with a specific status and code. */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: unknown;
  constructor(code: ServerErrorCode, message: string, details?: unknown, options?: ErrorOptions) {
    super(message, options);
    this.name = "ApiError";
    this.code = code;
    this.status = SERVER_STATUS[code];
    this.details = details;
  }
}

/** The body of every error response. */
export interface ErrorEnvelope {
  error: { code: string; message: string; details?: unknown };
}

/** What an error becomes on the wire: status, body, and whether it is a server fault (to log). */
export interface HttpError {
  status: number;
  body: ErrorEnvelope;
  fault: boolean;
}

function statusOf(code: string, own: unknown): number | undefined {
  if (code in SERVER_STATUS) return SERVER_STATUS[code as ServerErrorCode];
  if (code in FOREIGN_STATUS) return FOREIGN_STATUS[code];
  if (typeof own === "number" && own >= 400 && own < 600) return own;
  const kernel = (KERNEL_ERRORS as Record<string, { status: number }>)[code];
  if (kernel) return kernel.status;
  return undefined;
}

/** Maps any thrown value to the HTTP answer. Unknown errors become an opaque 500. */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof ApiError) {
    return {
      status: error.status,
      body: envelope(error.code, error.message, error.details),
      fault: error.status >= 500,
    };
  }
  const e = error as { code?: unknown; message?: unknown; details?: unknown; status?: unknown; httpStatus?: unknown };
  if (e && typeof e === "object" && typeof e.code === "string" && e.code.startsWith("WEFT_E_")) {
    const status = statusOf(e.code, e.httpStatus ?? e.status);
    if (status !== undefined && status < 500) {
      return { status, body: envelope(e.code, String(e.message ?? e.code), e.details), fault: false };
    }
    if (status !== undefined) {
      return { status, body: envelope(e.code, String(e.message ?? e.code)), fault: true };
    }
  }
  return {
    status: 500,
    body: envelope(ServerErrorCode.Internal, "internal error; the server log has the details"),
    fault: true,
  };
}

function envelope(code: string, message: string, details?: unknown): ErrorEnvelope {
  return details === undefined || (isEmptyObject(details) && code !== ServerErrorCode.Validation)
    ? { error: { code, message } }
    : { error: { code, message, details } };
}

function isEmptyObject(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;
}

/** The codes and statuses the server documents (docs/errors.md, OpenAPI). */
export function serverErrorStatuses(): Readonly<Record<ServerErrorCode, number>> {
  return SERVER_STATUS;
}

// Every error code the SDK raises, and the typed errors plugins throw. The kernel decides retries from
// `retryable`, so each class fixes that flag from what the failure means, never from its message.

import type { Json } from "@weft/kernel";
import { WeftError } from "@weft/kernel";

/** The `WEFT_E_*` codes raised by `@weft/sdk` and by the HTTP mapping plugins share. */
export const SdkErrorCode = {
  /** The node's resolved config does not match its `config` schema (not retryable). */
  ConfigInvalid: "WEFT_E_CONFIG_INVALID",
  /** The value a node produced does not match its `output` schema (not retryable: a plugin bug). */
  OutputInvalid: "WEFT_E_OUTPUT_INVALID",
  /** The credential the node got is of a type it does not accept. */
  CredentialType: "WEFT_E_CREDENTIAL_TYPE",
  /** The credential's values do not match its credential type's schema. */
  CredentialInvalid: "WEFT_E_CREDENTIAL_INVALID",
  /** `defineNode`/`definePlugin`/`defineCredential` got an impossible definition (thrown at import time). */
  DefinitionInvalid: "WEFT_E_DEFINITION_INVALID",
  /** A remote service answered 401/403. */
  Auth: "WEFT_E_AUTH",
  /**
   * A remote service answered 404 (or said the same in its own words). Not the API's
   * `WEFT_E_NOT_FOUND`, which means that Weft itself has no such workflow, run or approval.
   */
  RemoteNotFound: "WEFT_E_REMOTE_NOT_FOUND",
  /** A remote service answered 429; `retryAfterMs` carries its `Retry-After`. */
  RateLimited: "WEFT_E_RATE_LIMITED",
  /** Any other unexpected HTTP status (5xx retryable, 4xx not). */
  HttpStatus: "WEFT_E_HTTP_STATUS",
  /** A node example documented in `examples` did not end as it says (raised by `runExamples`). */
  ExampleFailed: "WEFT_E_EXAMPLE_FAILED",
  /** The committed `weft.manifest.json` differs from the plugin's code (raised by `expectManifestFresh`). */
  ManifestStale: "WEFT_E_MANIFEST_STALE",
} as const;

/** Options of a {@link NodeError}. */
export interface NodeErrorOptions {
  /** Whether another attempt may succeed (default `false`). */
  retryable?: boolean;
  /** Structured facts for the run's step record: status codes, field paths. Never secrets. */
  details?: Json;
  /** How long the remote service asked us to wait before retrying. */
  retryAfterMs?: number;
  /** The error this one wraps (kept on the step record as `cause`). */
  cause?: unknown;
}

/**
 * The error a node throws when its work fails. The code is one of the `WEFT_E_*` codes (or a
 * plugin's own, prefixed with its namespace); `retryable` tells the kernel whether to try again.
 *
 * @example
 * throw new NodeError("WEFT_E_JIRA_PROJECT", `project ${key} does not exist`, { details: { key } });
 */
export class NodeError extends WeftError {
  constructor(code: string, message: string, options: NodeErrorOptions = {}) {
    super(code, message, {
      retryable: options.retryable ?? false,
      ...(options.details !== undefined ? { details: options.details } : {}),
      ...(options.retryAfterMs !== undefined ? { retryAfterMs: options.retryAfterMs } : {}),
      ...(options.cause !== undefined ? { cause: options.cause } : {}),
    });
    this.name = "NodeError";
  }
}

/** The longest response body excerpt an {@link HttpStatusError} keeps in its details. */
const BODY_EXCERPT_CHARS = 1024;

/**
 * A remote service answered with a status the node did not expect. Build it with
 * {@link HttpStatusError.fromResponse} so every plugin maps statuses to retry decisions the same way.
 */
export class HttpStatusError extends NodeError {
  /** The HTTP status the service answered. */
  readonly status: number;

  constructor(code: string, message: string, status: number, options: NodeErrorOptions = {}) {
    super(code, message, options);
    this.name = "HttpStatusError";
    this.status = status;
  }

  /**
   * Maps a response to a typed error: 401/403 → `WEFT_E_AUTH`, 404 → `WEFT_E_REMOTE_NOT_FOUND` (neither
   * retryable); 429 → `WEFT_E_RATE_LIMITED`, retryable after `Retry-After` (seconds or HTTP date);
   * 5xx → retryable `WEFT_E_HTTP_STATUS` (also honouring `Retry-After`); other statuses → non-retryable
   * `WEFT_E_HTTP_STATUS`. `bodyText` is kept, truncated, in `details.body`.
   */
  static fromResponse(
    response: { status: number; statusText?: string; url?: string; headers: { get(name: string): string | null } },
    bodyText?: string,
    now: number = Date.now(),
  ): HttpStatusError {
    const { status } = response;
    const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"), now);
    const details: { [key: string]: Json } = { status };
    if (response.url) details.url = redactUrl(response.url);
    if (bodyText)
      details.body = bodyText.length > BODY_EXCERPT_CHARS ? `${bodyText.slice(0, BODY_EXCERPT_CHARS)}…` : bodyText;
    const what = `${response.url ? `${redactUrl(response.url)} answered` : "the service answered"} HTTP ${status}${response.statusText ? ` ${response.statusText}` : ""}`;
    const withRetry = retryAfterMs !== undefined ? { retryAfterMs } : {};
    if (status === 401 || status === 403)
      return new HttpStatusError(SdkErrorCode.Auth, `${what}: the credential was refused`, status, { details });
    if (status === 404)
      return new HttpStatusError(SdkErrorCode.RemoteNotFound, `${what}: not found`, status, { details });
    if (status === 429)
      return new HttpStatusError(SdkErrorCode.RateLimited, `${what}: rate limited`, status, {
        details,
        retryable: true,
        ...withRetry,
      });
    if (status >= 500)
      return new HttpStatusError(SdkErrorCode.HttpStatus, what, status, { details, retryable: true, ...withRetry });
    return new HttpStatusError(SdkErrorCode.HttpStatus, what, status, { details });
  }
}

/**
 * Reads a `Retry-After` header: delta-seconds or an HTTP date. Returns milliseconds from `now`
 * (never negative), or undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value == null) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** Drops user info and query values from a URL so error details cannot carry secrets. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = "";
    parsed.password = "";
    for (const key of [...parsed.searchParams.keys()]) parsed.searchParams.set(key, "…");
    return parsed.toString();
  } catch {
    return "<invalid url>";
  }
}

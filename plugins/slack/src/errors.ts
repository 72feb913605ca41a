// Error codes raised by @weft/plugin-slack (documented in docs/errors.md). Slack answers most Web API
// failures with HTTP 200 `{ok: false, error}`; those error strings, and the plain-text codes of
// incoming webhooks, are mapped here once, to the SDK's shared codes where one fits.
import type { HttpService } from "@weft/sdk";
import { HttpStatusError, NodeError, SdkErrorCode } from "@weft/sdk";

export const SlackErrorCode = {
  /** A Web API method answered `ok: false` with an error not covered by a shared code; `details.error` has it. */
  Api: "WEFT_E_SLACK_API",
  /** An incoming webhook answered a plain-text error (`invalid_payload`, `no_text`, `channel_is_archived`, …). */
  Webhook: "WEFT_E_SLACK_WEBHOOK",
  /** Slack could not be reached (DNS, refused, reset). Retryable. */
  Unreachable: "WEFT_E_SLACK_UNREACHABLE",
  /** Slack answered with a body the plugin cannot read. */
  BadResponse: "WEFT_E_SLACK_BAD_RESPONSE",
} as const;

/** How the SDK's HTTP calls name Slack and its unreachable / bad-response errors. */
export const slackService: HttpService = {
  name: "Slack",
  unreachableCode: SlackErrorCode.Unreachable,
  badResponseCode: SlackErrorCode.BadResponse,
};

/** Web API errors that mean the token cannot do this: fix the credential or the app's scopes. */
const AUTH_ERRORS = new Set([
  "not_authed",
  "invalid_auth",
  "account_inactive",
  "token_revoked",
  "token_expired",
  "no_permission",
  "missing_scope",
  "not_allowed_token_type",
  "ekm_access_denied",
  "team_access_not_granted",
]);

/** Web API errors a later attempt may not hit. */
const RETRYABLE_ERRORS = new Set([
  "ratelimited",
  "rate_limited",
  "internal_error",
  "fatal_error",
  "service_unavailable",
  "request_timeout",
]);

const NOT_FOUND_ERRORS = new Set(["channel_not_found", "thread_not_found", "message_not_found"]);

/** The typed error for a Web API `{ok: false, error, needed?, provided?}` answer. */
export function slackApiError(
  method: string,
  body: { error?: unknown; needed?: unknown; provided?: unknown },
): NodeError {
  const error = typeof body.error === "string" ? body.error : "unknown_error";
  const details = {
    error,
    method,
    ...(typeof body.needed === "string" ? { needed: body.needed } : {}),
    ...(typeof body.provided === "string" ? { provided: body.provided } : {}),
  };
  const scopes =
    error === "missing_scope" && details.needed ? ` (needs ${details.needed}, has ${details.provided ?? "none"})` : "";
  const message = `Slack ${method} failed: ${error}${scopes}`;
  if (AUTH_ERRORS.has(error)) return new NodeError(SdkErrorCode.Auth, message, { details });
  if (NOT_FOUND_ERRORS.has(error)) return new NodeError(SdkErrorCode.RemoteNotFound, message, { details });
  if (error === "ratelimited" || error === "rate_limited")
    return new NodeError(SdkErrorCode.RateLimited, message, { details, retryable: true });
  return new NodeError(SlackErrorCode.Api, message, { details, retryable: RETRYABLE_ERRORS.has(error) });
}

/** Maps a non-2xx Web API response (429 `ratelimited`, HTML 5xx pages, …). */
export function slackHttpError(response: Response, text: string): NodeError {
  const base = HttpStatusError.fromResponse(response, text.trimStart().startsWith("<") ? "" : text);
  let error: string | undefined;
  try {
    error = (JSON.parse(text) as { error?: string }).error;
  } catch {
    error = undefined;
  }
  return new NodeError(base.code, `Slack answered HTTP ${response.status}${error ? `: ${error}` : ""}`, {
    retryable: base.retryable,
    ...(base.retryAfterMs !== undefined ? { retryAfterMs: base.retryAfterMs } : {}),
    details: { status: response.status, ...(error ? { error } : {}) },
  });
}

/** Maps an incoming webhook's plain-text error (status 400/403/404/410/429/5xx). */
export function slackWebhookError(response: Response, text: string): NodeError {
  const base = HttpStatusError.fromResponse(response, "");
  const error = /^[a-z_]+$/.test(text.trim()) ? text.trim() : undefined;
  const message = `Slack webhook answered HTTP ${response.status}${error ? `: ${error}` : ""}`;
  const details = { status: response.status, ...(error ? { error } : {}) };
  const retryAfter = base.retryAfterMs !== undefined ? { retryAfterMs: base.retryAfterMs } : {};
  if (response.status === 403 || response.status === 401) return new NodeError(SdkErrorCode.Auth, message, { details });
  if (response.status === 404) return new NodeError(SdkErrorCode.RemoteNotFound, message, { details });
  if (response.status === 429)
    return new NodeError(SdkErrorCode.RateLimited, message, { details, retryable: true, ...retryAfter });
  return new NodeError(SlackErrorCode.Webhook, message, { details, retryable: response.status >= 500, ...retryAfter });
}

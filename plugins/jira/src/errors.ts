// Error codes raised by @weft/plugin-jira (documented in docs/errors.md). HTTP statuses map to the
// SDK's shared codes (WEFT_E_AUTH, WEFT_E_REMOTE_NOT_FOUND, WEFT_E_RATE_LIMITED, WEFT_E_HTTP_STATUS), with
// Jira's `errorMessages`/`errors` turned into a readable message that names the fields.
import type { HttpService } from "@weft/sdk";
import { HttpStatusError, NodeError, parseRetryAfter } from "@weft/sdk";

export const JiraErrorCode = {
  /** Jira rejected the request's content (HTTP 400): the message names each field and why. Not retryable. */
  Rejected: "WEFT_E_JIRA_REJECTED",
  /** `jira.transitionIssue`: no transition of that name is available from the current status. */
  TransitionUnavailable: "WEFT_E_JIRA_TRANSITION_UNAVAILABLE",
  /** The Jira site could not be reached (DNS, refused, reset). Retryable. */
  Unreachable: "WEFT_E_JIRA_UNREACHABLE",
  /** Jira answered with a body the plugin cannot read. */
  BadResponse: "WEFT_E_JIRA_BAD_RESPONSE",
} as const;

/** How the SDK's HTTP calls name Jira and its unreachable / bad-response errors. */
export const jiraService: HttpService = {
  name: "Jira",
  unreachableCode: JiraErrorCode.Unreachable,
  badResponseCode: JiraErrorCode.BadResponse,
};

interface JiraErrorBody {
  errorMessages?: unknown;
  errors?: unknown;
}

/** Reads Jira's `{errorMessages: [...], errors: {field: message}}` body, if that is what it is. */
export function parseJiraErrorBody(text: string): { messages: string[]; fields: Record<string, string> } {
  try {
    const body = JSON.parse(text) as JiraErrorBody;
    const messages = Array.isArray(body.errorMessages) ? body.errorMessages.map(String) : [];
    const fields: Record<string, string> = {};
    if (body.errors && typeof body.errors === "object") {
      for (const [field, message] of Object.entries(body.errors)) fields[field] = String(message);
    }
    return { messages, fields };
  } catch {
    return { messages: [], fields: {} };
  }
}

/** Maps a Jira error response to a typed error whose message names the rejected fields. */
export function jiraError(response: Response, text: string): NodeError {
  const base = HttpStatusError.fromResponse(response, text);
  const { messages, fields } = parseJiraErrorBody(text);
  const reasons = [...messages, ...Object.entries(fields).map(([field, message]) => `${field}: ${message}`)];
  // Jira sometimes sends only X-RateLimit-Reset (an ISO time) on 429.
  const reset = response.headers.get("x-ratelimit-reset");
  const retryAfterMs =
    base.retryAfterMs ??
    (response.status === 429 && reset ? parseRetryAfter(new Date(reset).toUTCString()) : undefined);
  const code = response.status === 400 ? JiraErrorCode.Rejected : base.code;
  const plainText = reasons.length === 0 && text.trim() !== "" && !text.trimStart().startsWith("<") ? text.trim() : "";
  const why = reasons.length > 0 ? reasons.join("; ") : plainText || base.message;
  return new NodeError(code, `Jira answered HTTP ${response.status}: ${why}`, {
    retryable: base.retryable,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    details: { status: response.status, errorMessages: messages, fields },
  });
}

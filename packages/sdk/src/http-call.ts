// Calling a SaaS API from a node, with the in-attempt retry policy integration plugins share.
//
// Retries happen at two levels and must not multiply into "retry forever":
// - inside one attempt, a 429 (any method: the service rejected it before doing anything) and a 5xx or
//   network failure of an idempotent request are retried at most `retries` times, waiting
//   `Retry-After` when given (only when that wait is at most `maxWaitMs`);
// - anything else, or a failure after that budget, is thrown as a typed error and the kernel's
//   `data.retry` policy decides whether a new attempt runs (retryable 429/5xx carry `retryAfterMs`).
// A long poll loop (an export that runs for an hour) would otherwise lose all progress on one 503.
import { abortableSleep, type NodeLogger } from "@weft/kernel";
import { HttpStatusError, NodeError } from "./errors.ts";

/** The part of a node context an HTTP call needs: pass the node's `ctx` itself. */
export interface HttpCallContext {
  /** Ends the call and any wait between tries (node timeout, cancel). */
  readonly signal: AbortSignal;
  /** Receives one warning per inline retry, so a slow step explains itself in the run's log. */
  readonly logger: Pick<NodeLogger, "warn">;
}

/** The remote service a plugin calls: how errors raised by the call itself name it. */
export interface HttpService {
  /** Name in messages, e.g. `"Jira"` in "Jira at https://acme.atlassian.net could not be reached". */
  readonly name: string;
  /** Code of the retryable error for a network failure (refused, reset, DNS, TLS), e.g. `WEFT_E_JIRA_UNREACHABLE`. */
  readonly unreachableCode: string;
  /** Code of the error for a body that is not JSON (see {@link readJsonBody}), e.g. `WEFT_E_JIRA_BAD_RESPONSE`. */
  readonly badResponseCode: string;
}

/** How much retrying one attempt may do before the kernel's retry policy takes over. */
export interface RetryBudget {
  /** Extra tries inside one attempt. */
  retries: number;
  /** Longest `Retry-After` honoured inline; longer waits go back to the kernel's retry policy. */
  maxWaitMs: number;
  /** First backoff when the service gave no `Retry-After`; doubled per try. */
  backoffMs: number;
}

/** The budget {@link sendRequest} uses unless told otherwise: 3 retries, waits up to 30 s, backoff from 500 ms. */
export const DEFAULT_RETRY_BUDGET: Readonly<RetryBudget> = { retries: 3, maxWaitMs: 30_000, backoffMs: 500 };

/** One request for {@link sendRequest}. */
export interface HttpRequestOptions {
  /** The service called; names the errors raised when it cannot be reached. */
  service: HttpService;
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  url: string;
  /** Sent after the defaults (`accept: application/json`, and `content-type` when there is a body). */
  headers: Record<string, string>;
  /** Sent as JSON when present. */
  body?: unknown;
  /**
   * Safe to repeat after a 5xx or network failure, when the service may already have processed it
   * (GET, search, cancel). A 429 is retried either way: the service refused before doing anything.
   */
  idempotent: boolean;
  /** Statuses handed back to the caller instead of being mapped to errors (e.g. 409 "already running"). */
  accept?: readonly number[];
  /** Default {@link DEFAULT_RETRY_BUDGET}. */
  budget?: RetryBudget;
  /** Maps an error response to a typed error (default {@link HttpStatusError.fromResponse}). */
  mapError?: (response: Response, bodyText: string) => NodeError;
}

/**
 * Sends a request with Node's fetch and the shared in-attempt retry policy: a 429, or a 5xx or
 * network failure of an idempotent request, is retried up to `budget.retries` times, waiting the
 * service's `Retry-After` (or an exponential backoff) when that is at most `budget.maxWaitMs`. A
 * longer wait, a spent budget, or any other status is thrown as the typed error from `mapError`
 * (its `retryAfterMs` tells the kernel's retry policy how long to wait); a network failure becomes
 * a retryable `service.unreachableCode` error. Aborting `ctx.signal` rejects with its reason, also
 * while waiting.
 *
 * @returns the response, when it is 2xx or one of `accept`; its body is not read yet.
 * @example
 * const response = await sendRequest(ctx, {
 *   service: { name: "Jira", unreachableCode: "WEFT_E_JIRA_UNREACHABLE", badResponseCode: "WEFT_E_JIRA_BAD_RESPONSE" },
 *   method: "GET",
 *   url: `${baseUrl}/rest/api/3/issue/${key}`,
 *   headers: { authorization },
 *   idempotent: true,
 * });
 */
export async function sendRequest(ctx: HttpCallContext, options: HttpRequestOptions): Promise<Response> {
  const budget = options.budget ?? DEFAULT_RETRY_BUDGET;
  for (let attempt = 0; ; attempt++) {
    let response: Response;
    try {
      response = await fetch(options.url, {
        method: options.method,
        headers: {
          accept: "application/json",
          ...(options.body !== undefined ? { "content-type": "application/json" } : {}),
          ...options.headers,
        },
        body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
        signal: ctx.signal,
      });
    } catch (error) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      const unreachable = new NodeError(
        options.service.unreachableCode,
        `${options.service.name} at ${new URL(options.url).origin} could not be reached: ${(error as Error).message}`,
        { retryable: true, cause: error, details: { url: withoutQuery(options.url) } },
      );
      if (options.idempotent && attempt < budget.retries) {
        await pause(ctx, budget.backoffMs * 2 ** attempt, unreachable.message);
        continue;
      }
      throw unreachable;
    }
    if (response.ok || options.accept?.includes(response.status)) return response;
    const text = await response.text();
    const error = (options.mapError ?? HttpStatusError.fromResponse)(response, text);
    const inline = response.status === 429 || (response.status >= 500 && options.idempotent);
    const wait = error.retryAfterMs ?? budget.backoffMs * 2 ** attempt;
    if (inline && attempt < budget.retries && wait <= budget.maxWaitMs) {
      await pause(ctx, wait, `HTTP ${response.status} from ${options.method} ${withoutQuery(options.url)}`);
      continue;
    }
    throw error;
  }
}

/**
 * Reads a response body as JSON. A body that is not JSON becomes a `service.badResponseCode` error
 * (retryable when the status was 5xx, e.g. a proxy's HTML error page) naming `what` was asked.
 *
 * @example
 * const issue = await readJsonBody<{ key: string }>(response, jiraService, "GET /rest/api/3/issue/SEC-1");
 */
export async function readJsonBody<T>(response: Response, service: HttpService, what: string): Promise<T> {
  const text = await response.text();
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new NodeError(service.badResponseCode, `${service.name} answered ${what} with a body that is not JSON`, {
      retryable: response.status >= 500,
      cause: error,
      details: { status: response.status, body: text.slice(0, 200) },
    });
  }
}

async function pause(ctx: HttpCallContext, ms: number, why: string): Promise<void> {
  ctx.logger.warn(`${why}; retrying in ${ms} ms`, { waitMs: ms });
  await abortableSleep(ms, ctx.signal);
}

/** Query strings carry tokens and search terms: messages and details keep only origin and path. */
function withoutQuery(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

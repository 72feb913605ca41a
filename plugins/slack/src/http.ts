// HTTP calls to Slack with the in-attempt retry policy of this plugin.
//
// Retries happen at two levels and must not multiply into "retry forever":
// - inside one attempt, a 429 (any method: Slack rejected it before doing anything) and a 5xx or
//   network failure of an idempotent request are retried at most `retries` times,
//   waiting `Retry-After` when given (only when that wait is at most `maxWaitMs`);
// - anything else, or a failure after that budget, is thrown as a typed error and the kernel's
//   `data.retry` policy decides whether a new attempt runs (retryable 429/5xx carry `retryAfterMs`).
import { HttpStatusError, NodeError } from "@weft/sdk";
import { SlackErrorCode } from "./errors.ts";

/** The part of a node context an HTTP call needs. */
export interface CallContext {
  readonly signal: AbortSignal;
  readonly logger: { warn(message: string, fields?: Record<string, string | number | boolean | null>): void };
}

export interface RetryBudget {
  /** Extra tries inside one attempt. */
  retries: number;
  /** Longest `Retry-After` honoured inline; longer waits go back to the kernel's retry policy. */
  maxWaitMs: number;
  /** First backoff when the service gave no `Retry-After`; doubled per try. */
  backoffMs: number;
}

export const DEFAULT_BUDGET: RetryBudget = { retries: 3, maxWaitMs: 30_000, backoffMs: 500 };

export interface SendOptions {
  method: "GET" | "POST";
  url: string;
  headers: Record<string, string>;
  body?: unknown;
  /** Safe to repeat after a 5xx/network failure (the request may have been processed). */
  idempotent: boolean;
  /** Statuses handed back to the caller instead of being mapped to errors. */
  accept?: readonly number[];
  budget?: RetryBudget;
  /** Maps an error response to a typed error (default: the SDK's `HttpStatusError.fromResponse`). */
  mapError?: (response: Response, bodyText: string) => NodeError;
}

/** Sends a request, retrying within the attempt as described above. Resolves with an accepted response. */
export async function send(call: CallContext, options: SendOptions): Promise<Response> {
  const budget = options.budget ?? DEFAULT_BUDGET;
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
        signal: call.signal,
      });
    } catch (error) {
      if (call.signal.aborted) throw call.signal.reason;
      const unreachable = new NodeError(
        SlackErrorCode.Unreachable,
        `Slack at ${new URL(options.url).origin} could not be reached: ${(error as Error).message}`,
        { retryable: true, cause: error, details: { url: stripQuery(options.url) } },
      );
      if (options.idempotent && attempt < budget.retries) {
        await pause(call, budget.backoffMs * 2 ** attempt, unreachable.message);
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
      await pause(call, wait, `HTTP ${response.status} from ${options.method} ${stripQuery(options.url)}`);
      continue;
    }
    throw error;
  }
}

/** Reads a JSON body, turning a malformed one into a typed error. */
export async function readJson<T>(response: Response, what: string): Promise<T> {
  const text = await response.text();
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new NodeError(SlackErrorCode.BadResponse, `Slack answered ${what} with a body that is not JSON`, {
      retryable: response.status >= 500,
      cause: error,
      details: { status: response.status, body: text.slice(0, 200) },
    });
  }
}

/** Waits `ms`, or rejects with the abort reason as soon as the attempt is cancelled. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

async function pause(call: CallContext, ms: number, why: string): Promise<void> {
  call.logger.warn(`${why}; retrying in ${ms} ms`, { waitMs: ms });
  await sleep(ms, call.signal);
}

function stripQuery(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

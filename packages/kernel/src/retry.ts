// How long to wait before the next attempt of a failed node.
import type { ErrorInfo, RetryPolicy } from "./contracts.ts";

/**
 * The delay in ms before the attempt after `attempt` (1-based) failed with `error`. Exponential
 * backoff doubles `delayMs` per attempt; `maxDelayMs` caps it; jitter (`true` = the whole delay,
 * a number = that fraction of it) lowers it by a random share so retries of many runs spread out.
 * A service's own `retryAfterMs` wins when it is longer, but `maxDelayMs` caps it too: a
 * `Retry-After` of a day must not hold a worker (and the run's slot) for a day. Without
 * `maxDelayMs` the service's wait is honoured as asked.
 */
export function retryDelay(policy: RetryPolicy, attempt: number, error: ErrorInfo, random: () => number): number {
  let delay = policy.backoff === "exponential" ? policy.delayMs * 2 ** Math.max(0, attempt - 1) : policy.delayMs;
  if (policy.maxDelayMs !== undefined) delay = Math.min(delay, policy.maxDelayMs);
  const jitter = policy.jitter === true ? 1 : typeof policy.jitter === "number" ? policy.jitter : 0;
  if (jitter > 0) delay *= 1 - jitter * random();
  if (error.retryAfterMs !== undefined) {
    const asked =
      policy.maxDelayMs === undefined ? error.retryAfterMs : Math.min(error.retryAfterMs, policy.maxDelayMs);
    delay = Math.max(delay, asked);
  }
  return Math.max(0, Math.round(delay));
}

/** True when a node that failed `attempt` times with `error` gets another attempt under `policy`. */
export function shouldRetry(policy: RetryPolicy | undefined, attempt: number, error: ErrorInfo): boolean {
  return policy !== undefined && error.retryable && attempt < policy.maxAttempts;
}

/**
 * Waits `ms`, or rejects with the signal's reason (the kernel's timeout or cancel error, not a
 * generic `AbortError`) as soon as it is aborted. The engine's default sleep between attempts, and
 * what plugins use for poll loops and pacing inside `execute`.
 */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

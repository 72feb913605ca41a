// Per-channel pacing (Slack allows about one message per second per channel). Across workers it
// uses the run-scoped limiter the runtime registers under RATE_LIMITER (a Redis token bucket with
// the BullMQ transport); without one (unit tests, a bare kernel) an in-process limiter paces this
// process only.
import { sleep } from "./http.ts";

/** The service token under which the runtime registers its shared rate limiter. */
export const RATE_LIMITER = "weft.rateLimiter";

/** At most `limit` acquisitions per `intervalMs` for one `key`. */
export interface RateLimit {
  key: string;
  limit: number;
  intervalMs: number;
}

/** What the plugin needs of a rate limiter (the runtime's limiter implements it). */
export interface RateLimiter {
  /** Resolves when the caller may proceed; rejects with the signal's reason when aborted while waiting. */
  acquire(limit: RateLimit, signal?: AbortSignal): Promise<void>;
}

/** Spaces acquisitions of each key evenly, in this process. */
export class ProcessRateLimiter implements RateLimiter {
  readonly #next = new Map<string, number>();

  async acquire(limit: RateLimit, signal?: AbortSignal): Promise<void> {
    const now = Date.now();
    const spacing = limit.intervalMs / limit.limit;
    const at = Math.max(now, this.#next.get(limit.key) ?? 0);
    this.#next.set(limit.key, at + spacing);
    if (this.#next.size > 10_000) {
      for (const [key, free] of this.#next) if (free < now) this.#next.delete(key);
    }
    if (at > now) await sleep(at - now, signal ?? new AbortController().signal);
  }
}

const processLimiter = new ProcessRateLimiter();

/** The runtime's shared limiter when the run offers one, else this process's. */
export function rateLimiterFrom(services: { has(token: string): boolean; get<T>(token: string): T }): RateLimiter {
  return services.has(RATE_LIMITER) ? services.get<RateLimiter>(RATE_LIMITER) : processLimiter;
}

/** The per-channel limit for `perSecond` messages a second. */
export function channelLimit(key: string, perSecond: number): RateLimit {
  // One token per interval (no bursts): Slack's limit is about spacing, not averages.
  return { key, limit: 1, intervalMs: Math.max(1, Math.round(1000 / perSecond)) };
}

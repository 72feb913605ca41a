// Per-channel pacing (Slack allows about one message per second per channel). Across workers it
// uses the run-scoped limiter the runtime registers under RATE_LIMITER (a Redis token bucket with
// the BullMQ transport); without one (unit tests, a bare kernel) an in-process limiter paces this
// process only. The contract itself lives in @weft/sdk; it is re-exported here for compatibility.
import { ProcessRateLimiter, RATE_LIMITER, type RateLimit, type RateLimiter } from "@weft/sdk";

export type { RateLimit, RateLimiter } from "@weft/sdk";
export { ProcessRateLimiter, RATE_LIMITER } from "@weft/sdk";

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

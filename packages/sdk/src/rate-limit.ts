// The rate limiter contract plugins pace their calls with. The runtime registers a limiter that holds
// across workers (a Redis token bucket with the BullMQ transport) under RATE_LIMITER; a plugin that
// finds none (unit tests, a bare kernel) falls back to a ProcessRateLimiter, which paces this process only.
import { abortableSleep } from "@weft/kernel";

/**
 * The run-scoped service token of the shared rate limiter: a plain string, so plugins look it up with
 * `ctx.services.get<RateLimiter>(RATE_LIMITER)` without importing the runtime.
 */
export const RATE_LIMITER = "weft.rateLimiter";

/** At most `limit` acquisitions per `intervalMs` for one `key`. */
export interface RateLimit {
  /** What is limited, namespaced by the plugin: `slack:chat.postMessage:C0123`. */
  key: string;
  limit: number;
  intervalMs: number;
}

/** What a plugin needs of a rate limiter (the runtime's limiter implements it). */
export interface RateLimiter {
  /** Resolves when the caller may proceed; rejects with the signal's reason when aborted while waiting. */
  acquire(limit: RateLimit, signal?: AbortSignal): Promise<void>;
}

/**
 * Spaces acquisitions of each key evenly (`intervalMs / limit` apart, no bursts), in this process
 * only: the fallback when the run offers no {@link RATE_LIMITER} service.
 */
export class ProcessRateLimiter implements RateLimiter {
  readonly #next = new Map<string, number>();

  async acquire(limit: RateLimit, signal?: AbortSignal): Promise<void> {
    const now = Date.now();
    const spacing = limit.intervalMs / limit.limit;
    const at = Math.max(now, this.#next.get(limit.key) ?? 0);
    this.#next.set(limit.key, at + spacing);
    // Forget keys whose slot has passed, so a plugin keyed by channel cannot grow the map forever.
    if (this.#next.size > 10_000) {
      for (const [key, free] of this.#next) if (free < now) this.#next.delete(key);
    }
    if (at > now) await abortableSleep(at - now, signal);
  }
}

// Rate limits that hold across every worker: a token bucket kept in Redis and updated atomically by
// a Lua script using Redis' own clock (so workers' clock skew does not matter). Without Redis (the
// inline transport, one process) the same bucket lives in memory.
import { RATE_LIMITER, type RateLimit, type RateLimiter as SdkRateLimiter } from "@weft/sdk";
import type { Redis } from "ioredis";

// The token and the limit's shape are the SDK's contract (plugins import them from @weft/sdk).
export { RATE_LIMITER, type RateLimit };

/** The runtime's limiter: the SDK contract plus a non-waiting attempt. */
export interface RateLimiter extends SdkRateLimiter {
  /** Takes a token when one is available: 0, else the milliseconds until one will be. */
  tryAcquire(limit: RateLimit): Promise<number>;
}

const TOKEN_BUCKET = `
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local data = redis.call('HMGET', KEYS[1], 't', 'ts')
local tokens = tonumber(data[1]) or capacity
local ts = tonumber(data[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)
if tokens >= 1 then
  redis.call('HSET', KEYS[1], 't', tostring(tokens - 1), 'ts', tostring(now))
  redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate) + 1000)
  return 0
end
return math.max(1, math.ceil((1 - tokens) / rate))
`;

function check(limit: RateLimit): void {
  if (!(limit.limit > 0) || !(limit.intervalMs > 0) || !limit.key)
    throw new RangeError(`invalid rate limit ${JSON.stringify(limit)}: need a key, limit > 0 and intervalMs > 0`);
}

async function acquireLoop(limiter: RateLimiter, limit: RateLimit, signal?: AbortSignal): Promise<void> {
  for (;;) {
    signal?.throwIfAborted();
    const waitMs = await limiter.tryAcquire(limit);
    if (waitMs === 0) return;
    signal?.throwIfAborted();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(done, waitMs);
      function done() {
        signal?.removeEventListener("abort", abort);
        resolve();
      }
      function abort() {
        clearTimeout(timer);
        reject(signal?.reason);
      }
      signal?.addEventListener("abort", abort, { once: true });
    });
  }
}

/** A token bucket per key in Redis, shared by every process using the same Redis and prefix. */
export class RedisRateLimiter implements RateLimiter {
  readonly #redis: Redis;
  readonly #prefix: string;
  #sha: string | undefined;

  constructor(redis: Redis, prefix = "weft") {
    this.#redis = redis;
    this.#prefix = prefix;
  }

  acquire(limit: RateLimit, signal?: AbortSignal): Promise<void> {
    return acquireLoop(this, limit, signal);
  }

  async tryAcquire(limit: RateLimit): Promise<number> {
    check(limit);
    const key = `${this.#prefix}:ratelimit:${limit.key}`;
    const args = [String(limit.limit), String(limit.limit / limit.intervalMs)];
    this.#sha ??= (await this.#redis.script("LOAD", TOKEN_BUCKET)) as string;
    try {
      return Number(await this.#redis.evalsha(this.#sha, 1, key, ...args));
    } catch (error) {
      // The script cache is empty after a Redis restart: load it again once.
      if (!String(error).includes("NOSCRIPT")) throw error;
      this.#sha = (await this.#redis.script("LOAD", TOKEN_BUCKET)) as string;
      return Number(await this.#redis.evalsha(this.#sha, 1, key, ...args));
    }
  }
}

/** The same bucket in memory, for the single-process inline transport. */
export class MemoryRateLimiter implements RateLimiter {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  acquire(limit: RateLimit, signal?: AbortSignal): Promise<void> {
    return acquireLoop(this, limit, signal);
  }

  async tryAcquire(limit: RateLimit): Promise<number> {
    check(limit);
    const now = this.#now();
    const rate = limit.limit / limit.intervalMs;
    const bucket = this.#buckets.get(limit.key) ?? { tokens: limit.limit, at: now };
    bucket.tokens = Math.min(limit.limit, bucket.tokens + Math.max(0, now - bucket.at) * rate);
    bucket.at = now;
    this.#buckets.set(limit.key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / rate));
  }
}

import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { testRedisUrl } from "../../../test/pg.ts";
import { MemoryRateLimiter, RedisRateLimiter } from "./rate-limiter.ts";

const prefix = `weft-rl-${process.pid}-${Date.now()}`;
const connections: Redis[] = [];
function connect(): Redis {
  const redis = new Redis(testRedisUrl());
  connections.push(redis);
  return redis;
}
afterAll(async () => {
  await Promise.all(connections.map((c) => c.quit()));
});

describe("RedisRateLimiter", () => {
  it("holds one limit across workers: a second worker must wait for the same Slack channel", async () => {
    const workerA = new RedisRateLimiter(connect(), prefix);
    const workerB = new RedisRateLimiter(connect(), prefix);
    const limit = { key: "slack:postMessage:C1", limit: 1, intervalMs: 1000 };
    expect(await workerA.tryAcquire(limit)).toBe(0);
    const wait = await workerB.tryAcquire(limit);
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(1000);
    // Another channel has its own bucket.
    expect(await workerB.tryAcquire({ ...limit, key: "slack:postMessage:C2" })).toBe(0);
  });

  it("grants at most `limit` of many concurrent acquisitions in one interval", async () => {
    const limiters = [new RedisRateLimiter(connect(), prefix), new RedisRateLimiter(connect(), prefix)];
    const limit = { key: "jira:create", limit: 5, intervalMs: 60_000 };
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (limiters[i % 2] as RedisRateLimiter).tryAcquire(limit)),
    );
    expect(results.filter((wait) => wait === 0)).toHaveLength(5);
  });

  it("acquire() waits for the next token and gives up when the node is aborted", async () => {
    const limiter = new RedisRateLimiter(connect(), prefix);
    const limit = { key: "abort-me", limit: 1, intervalMs: 60_000 };
    await limiter.acquire(limit);
    const controller = new AbortController();
    const pending = limiter.acquire(limit, controller.signal);
    controller.abort(new Error("node timed out"));
    await expect(pending).rejects.toThrow("node timed out");
  });

  it("refuses a malformed limit with a clear error", async () => {
    const limiter = new RedisRateLimiter(connect(), prefix);
    await expect(limiter.tryAcquire({ key: "x", limit: 0, intervalMs: 1000 })).rejects.toThrow(/limit > 0/);
  });
});

describe("MemoryRateLimiter", () => {
  it("refills tokens over time", async () => {
    let now = 0;
    const limiter = new MemoryRateLimiter(() => now);
    const limit = { key: "k", limit: 2, intervalMs: 1000 };
    expect(await limiter.tryAcquire(limit)).toBe(0);
    expect(await limiter.tryAcquire(limit)).toBe(0);
    expect(await limiter.tryAcquire(limit)).toBe(500);
    now = 500;
    expect(await limiter.tryAcquire(limit)).toBe(0);
  });
});

// Run leases: at most one process executes a run at a time. BullMQ's job lock protects one job, but
// a run can have several jobs (start, resume, delay due, continuation) and a stalled job can be
// re-delivered while its first worker is merely slow; the lease fences all of them per run.
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { LeaseLostError } from "./errors.ts";

/** The right to execute one run, held by this process until released or lost. */
export interface RunLease {
  readonly runId: string;
  /** Aborted when the lease is lost (another worker may now own the run). */
  readonly signal: AbortSignal;
  /** Throws LeaseLostError unless this process still holds the lease; call before every write. */
  assert(): Promise<void>;
  release(): Promise<void>;
}

export interface LeaseProvider {
  /** The lease, or undefined when another process holds it. */
  acquire(runId: string): Promise<RunLease | undefined>;
  /** Whether some process holds the run's lease now (it executes the run). */
  isHeld(runId: string): Promise<boolean>;
  close(): Promise<void>;
}

const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * Leases as Redis keys with a TTL, renewed every third of the TTL by a timer. The process only
 * trusts its lease locally until two thirds of the TTL after the last renewal; past that (the event
 * loop was blocked, the network was down) `assert()` asks Redis before any write.
 */
export class RedisLeaseProvider implements LeaseProvider {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #workerId: string;
  readonly #ttlMs: number;
  readonly #held = new Set<{ release(): Promise<void> }>();

  constructor(options: { redis: Redis; prefix: string; workerId: string; ttlMs: number }) {
    this.#redis = options.redis;
    this.#prefix = options.prefix;
    this.#workerId = options.workerId;
    this.#ttlMs = options.ttlMs;
  }

  async acquire(runId: string): Promise<RunLease | undefined> {
    const key = `${this.#prefix}:lease:${runId}`;
    const token = `${this.#workerId}|${randomUUID()}`;
    const ttl = this.#ttlMs;
    const ok = await this.#redis.set(key, token, "PX", ttl, "NX");
    if (ok !== "OK") return undefined;
    const redis = this.#redis;
    const workerId = this.#workerId;
    const controller = new AbortController();
    let trustedUntil = Date.now() + (ttl * 2) / 3;
    let released = false;
    const renew = async (): Promise<boolean> => {
      const started = Date.now();
      const result = Number(await redis.eval(RENEW, 1, key, token, String(ttl)));
      if (result === 1) {
        trustedUntil = started + (ttl * 2) / 3;
        return true;
      }
      if (!controller.signal.aborted) controller.abort(new LeaseLostError(runId, workerId));
      return false;
    };
    const timer = setInterval(
      () => {
        renew().catch(() => {
          // Redis unreachable: keep trying; assert() refuses writes once the lease is no longer trusted.
        });
      },
      Math.max(50, Math.floor(ttl / 3)),
    );
    timer.unref();
    const held = this.#held;
    const lease: RunLease & { release(): Promise<void> } = {
      runId,
      signal: controller.signal,
      async assert() {
        if (controller.signal.aborted || released) throw new LeaseLostError(runId, workerId);
        if (Date.now() < trustedUntil) return;
        if (!(await renew())) throw new LeaseLostError(runId, workerId);
      },
      async release() {
        if (released) return;
        released = true;
        clearInterval(timer);
        held.delete(lease);
        await redis.eval(RELEASE, 1, key, token).catch(() => {});
      },
    };
    held.add(lease);
    return lease;
  }

  async isHeld(runId: string): Promise<boolean> {
    return (await this.#redis.exists(`${this.#prefix}:lease:${runId}`)) === 1;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#held].map((lease) => lease.release()));
  }
}

/** Leases inside one process (the inline transport): a set of run ids. */
export class LocalLeaseProvider implements LeaseProvider {
  readonly #held = new Set<string>();

  async acquire(runId: string): Promise<RunLease | undefined> {
    if (this.#held.has(runId)) return undefined;
    this.#held.add(runId);
    const held = this.#held;
    const controller = new AbortController();
    let released = false;
    return {
      runId,
      signal: controller.signal,
      async assert() {
        if (released) throw new LeaseLostError(runId, "inline");
      },
      async release() {
        released = true;
        held.delete(runId);
      },
    };
  }

  async isHeld(runId: string): Promise<boolean> {
    return this.#held.has(runId);
  }

  async close(): Promise<void> {
    this.#held.clear();
  }
}

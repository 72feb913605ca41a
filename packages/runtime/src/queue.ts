// What travels on the run queue, and the queue's names and options (shared by both transports).
import type { Json } from "@weft/kernel";
import { intSetting } from "./env.ts";

/** Why a job was queued. */
export type RunJobKind = "start" | "resume" | "delay" | "continue";

/** A queue job: always a run id; resumes also name the waiting node and carry the payload. */
export interface RunJob {
  runId: string;
  kind: RunJobKind;
  nodeId?: string;
  payload?: Json;
  /** For delay jobs: the ISO time the delay is due (a job that arrives early is postponed). */
  until?: string;
}

/** What handling a job came to. */
export type RunJobResult =
  | { kind: "done"; status: string }
  /** Another process holds the run's lease: try again later (the job must not be lost). */
  | { kind: "retry"; afterMs: number }
  /** The process is stopping: the run was checkpointed and must continue elsewhere. */
  | { kind: "handoff" };

/** Handles one job; `signal` aborts when the process must stop at once. */
export type RunJobHandler = (job: RunJob) => Promise<RunJobResult>;

/** The BullMQ queue that carries every run job. */
export const RUN_QUEUE_NAME = "weft-runs";

/** Queue and worker settings of the bullmq transport (see docs/operations.md). */
export interface QueueSettings {
  /** Redis key prefix of the queue, leases, rate limits and pub/sub channels. */
  prefix: string;
  /** BullMQ job lock; renewed every half of it. A worker silent for longer loses its jobs. */
  lockDurationMs: number;
  /** How often workers look for stalled jobs (lock expired) and re-deliver them. */
  stalledIntervalMs: number;
  /**
   * How many times a job may stall before BullMQ fails it. Kept very high: a re-delivered run
   * continues from its checkpoint; it is never marked failed because a worker died.
   */
  maxStalledCount: number;
  /** Attempts of a job whose handler threw (database unreachable...), with exponential backoff. */
  attempts: number;
  backoffMs: number;
  /** Run lease TTL; defaults to the lock duration. */
  leaseTtlMs: number;
  /** How often a worker looks for stranded runs (RunReconciler); 0 turns it off. */
  reconcileIntervalMs: number;
  /** How long a run must have been unchanged before the reconciler considers it stranded. */
  reconcileAfterMs: number;
}

/** Settings from `WEFT_QUEUE_PREFIX`, `WEFT_LOCK_DURATION_MS`, `WEFT_STALLED_INTERVAL_MS`, ... */
export function queueSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): QueueSettings {
  const lockDurationMs = intSetting(env, "WEFT_LOCK_DURATION_MS", 30_000);
  return {
    prefix: env.WEFT_QUEUE_PREFIX || "weft",
    lockDurationMs,
    stalledIntervalMs: intSetting(env, "WEFT_STALLED_INTERVAL_MS", Math.min(15_000, lockDurationMs)),
    maxStalledCount: intSetting(env, "WEFT_MAX_STALLED_COUNT", 1_000_000),
    attempts: intSetting(env, "WEFT_JOB_ATTEMPTS", 12),
    backoffMs: intSetting(env, "WEFT_JOB_BACKOFF_MS", 1_000),
    leaseTtlMs: intSetting(env, "WEFT_LEASE_TTL_MS", lockDurationMs),
    reconcileIntervalMs: intSetting(env, "WEFT_RECONCILE_INTERVAL_MS", 30_000),
    reconcileAfterMs: intSetting(env, "WEFT_RECONCILE_AFTER_MS", 60_000),
  };
}

/** BullMQ job ids cannot contain ":"; run ids are UUIDs, so "." separates the parts. */
export function jobId(...parts: (string | number)[]): string {
  return parts.map((part) => String(part).replaceAll(":", "_")).join(".");
}

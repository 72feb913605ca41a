import pkg from "../package.json" with { type: "json" };

/** The version of @weft/runtime that is running. */
export const VERSION: string = pkg.version;

export { intSetting } from "./env.ts";
// Run execution: the runtime, its transports, the worker process and their services.
export {
  LeaseLostError,
  RUNTIME_ERROR_CODES,
  RunNotActiveError,
  RunNotFoundError,
  RunNotWaitingError,
  RuntimeError,
  type RuntimeErrorCode,
} from "./errors.ts";
export { RUN_EVENTS, type RunEvent, type RunEventListener, type RunEventType } from "./events.ts";
export type { CredentialSource } from "./executor.ts";
export * from "./loader/index.ts";
export { type QueueSettings, queueSettingsFromEnv, RUN_QUEUE_NAME, type RunJob, type RunJobKind } from "./queue.ts";
export {
  MemoryRateLimiter,
  RATE_LIMITER,
  type RateLimit,
  type RateLimiter,
  RedisRateLimiter,
} from "./rate-limiter.ts";
export type { ReconcileReport } from "./reconciler.ts";
export {
  createRuntime,
  defaultWorkerId,
  type Runtime,
  type RuntimeOptions,
  type StartRunInput,
} from "./runtime.ts";
export { sandboxOptionsFromEnv } from "./sandbox-settings.ts";
export {
  EXPIRED_APPROVAL_DECISION,
  nextScheduledRun,
  type Schedule,
  type SchedulerTick,
  scheduleProblem,
  startWorkerScheduler,
  TriggerScheduler,
  type TriggerSchedulerOptions,
  type WorkerScheduler,
} from "./triggers/index.ts";
export { type RunningWorker, startWorker, type WorkerOptions } from "./worker.ts";

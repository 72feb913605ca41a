// Triggers the runtime fires itself: cron schedules, and the expiry of undecided approvals.
export { nextScheduledRun, type Schedule, scheduleProblem } from "./schedule.ts";
export {
  EXPIRED_APPROVAL_DECISION,
  type SchedulerTick,
  TriggerScheduler,
  type TriggerSchedulerOptions,
} from "./trigger-scheduler.ts";
export { startWorkerScheduler, type WorkerScheduler } from "./worker-scheduler.ts";

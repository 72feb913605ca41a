// Triggers the runtime fires itself: cron schedules.
export { nextScheduledRun, type Schedule, scheduleProblem } from "./schedule.ts";
export { type SchedulerTick, TriggerScheduler, type TriggerSchedulerOptions } from "./trigger-scheduler.ts";
export { startWorkerScheduler, type WorkerScheduler } from "./worker-scheduler.ts";

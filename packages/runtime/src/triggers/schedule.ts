// A schedule trigger's cron expression and time zone, read the way the `trigger.schedule` node reads
// them (@weft/plugin-core's scheduleConfig and nextFire), so the API, the scheduler and the node agree.
import { nextFire, scheduleConfig } from "@weft/plugin-core";

/** A schedule as the store keeps it on a trigger. */
export interface Schedule {
  cron: string;
  /** IANA time zone; default UTC. */
  timezone?: string | null;
}

/** What is wrong with a schedule (invalid cron expression or time zone), or undefined when it is valid. */
export function scheduleProblem(schedule: Schedule): { field: "cron" | "timezone"; message: string } | undefined {
  const parsed = scheduleConfig.safeParse({ cron: schedule.cron, timezone: schedule.timezone ?? "UTC" });
  if (parsed.success) return undefined;
  const issue = parsed.error.issues[0];
  return { field: issue?.path[0] === "timezone" ? "timezone" : "cron", message: issue?.message ?? "invalid schedule" };
}

/**
 * When the schedule fires next, strictly after `from`; undefined when it never fires again or is
 * invalid (see {@link scheduleProblem} for why).
 */
export function nextScheduledRun(schedule: Schedule, from: Date = new Date()): Date | undefined {
  const parsed = scheduleConfig.safeParse({ cron: schedule.cron, timezone: schedule.timezone ?? "UTC" });
  if (!parsed.success) return undefined;
  return nextFire(parsed.data, from);
}

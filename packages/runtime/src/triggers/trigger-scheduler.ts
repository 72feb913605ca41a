// TriggerScheduler: fires `schedule` triggers. Every API and worker process may run one; each due time
// starts one run across all of them, because a firing is claimed with a compare-and-set on the
// trigger's `nextRunAt` (store.triggers.advance) before the run is started.
//
// Claim first, start second: a process that dies between the two loses that firing (at most once),
// rather than two processes starting it twice. Firings missed while no scheduler ran are not
// replayed one by one: the overdue one fires once, and the next due time is computed from now.
//
// The same poll ends approvals nobody decided in time. `expireDue` flips each one from `pending` to
// `expired` in a single UPDATE … RETURNING, so across processes exactly one scheduler gets it back and
// resumes its node with `{ decision: "expired", by: "system" }` (approval.request then fails with
// WEFT_E_APPROVAL_EXPIRED). Claim first, resume second, as for schedules.
import type { Json } from "@weft/kernel";
import type { Store, TriggerRecord } from "@weft/store";
import type { Logger } from "pino";
import type { Runtime } from "../runtime.ts";
import { nextScheduledRun } from "./schedule.ts";

/** Options of {@link TriggerScheduler}. */
export interface TriggerSchedulerOptions {
  store: {
    triggers: Pick<Store["triggers"], "due" | "advance" | "unscheduled" | "schedule">;
    approvals: Pick<Store["approvals"], "escalateDue" | "expireDue">;
  };
  runtime: Pick<Runtime, "startRun" | "resumeRun">;
  /** How often the store is asked for due triggers, in ms. Default env WEFT_SCHEDULER_INTERVAL_MS, else 5000. */
  intervalMs?: number;
  /** Most triggers handled per poll (default 100); more are left for the next poll. */
  batchSize?: number;
  logger?: Pick<Logger, "info" | "warn" | "error" | "debug">;
}

/** What one poll did. */
export interface SchedulerTick {
  /** Runs started, with the trigger and the due time each fired for. */
  fired: { triggerId: string; runId: string; scheduledAt: string }[];
  /** Due firings another scheduler claimed first. */
  skipped: number;
  /** Firings claimed here whose run could not be started (logged). */
  failed: number;
  /** Approvals this poll expired, each with the run and node it resumed with `decision: "expired"`. */
  expired: { approvalId: string; runId: string; nodeId: string }[];
  /** Approvals this poll handed to their `escalateToRole` instead of expiring them. */
  escalated: { approvalId: string; runId: string; role: string | null }[];
}

/** The resume payload of an approval that expired undecided. */
export const EXPIRED_APPROVAL_DECISION = { decision: "expired", by: "system" } as const;

const DEFAULT_INTERVAL_MS = 5_000;

function intervalFromEnv(): number {
  const value = Number(process.env.WEFT_SCHEDULER_INTERVAL_MS);
  return Number.isFinite(value) && value > 0 ? value : DEFAULT_INTERVAL_MS;
}

/** Polls the store for due schedule triggers and starts their runs. */
export class TriggerScheduler {
  readonly #store: TriggerSchedulerOptions["store"];
  readonly #runtime: TriggerSchedulerOptions["runtime"];
  readonly #intervalMs: number;
  readonly #batchSize: number;
  readonly #logger: TriggerSchedulerOptions["logger"];
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<unknown> | undefined;
  #running = false;

  constructor(options: TriggerSchedulerOptions) {
    this.#store = options.store;
    this.#runtime = options.runtime;
    this.#intervalMs = options.intervalMs ?? intervalFromEnv();
    this.#batchSize = options.batchSize ?? 100;
    this.#logger = options.logger;
    if (!Number.isFinite(this.#intervalMs) || this.#intervalMs <= 0)
      throw new RangeError(`intervalMs must be a positive number of milliseconds, got ${this.#intervalMs}`);
  }

  get running(): boolean {
    return this.#running;
  }

  /** Starts polling: one poll now, then one `intervalMs` after each poll ends. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#schedule(0);
  }

  /** Stops polling and waits for a poll in progress. */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#inFlight?.catch(() => {});
  }

  #schedule(delayMs: number): void {
    this.#timer = setTimeout(() => {
      this.#inFlight = this.tick()
        .catch((error: unknown) => this.#logger?.error({ err: error }, "trigger scheduler poll failed"))
        .finally(() => {
          this.#inFlight = undefined;
          if (this.#running) this.#schedule(this.#intervalMs);
        });
    }, delayMs);
    // Polling alone must not keep a process alive.
    this.#timer.unref();
  }

  /**
   * One poll: gives new schedules their first due time, fires those due at `now`, then escalates or
   * expires the approvals whose `expiresAt` has passed.
   */
  async tick(now: Date = new Date()): Promise<SchedulerTick> {
    const result: SchedulerTick = { fired: [], skipped: 0, failed: 0, expired: [], escalated: [] };
    for (const trigger of await this.#store.triggers.unscheduled(this.#batchSize)) {
      const next = trigger.cron ? nextScheduledRun({ cron: trigger.cron, timezone: trigger.timezone }, now) : undefined;
      if (next) await this.#store.triggers.schedule(trigger.id, next);
      else this.#logger?.debug({ triggerId: trigger.id, cron: trigger.cron }, "schedule trigger never fires");
    }
    for (const trigger of await this.#store.triggers.due(now, this.#batchSize)) {
      await this.#fire(trigger, now, result);
    }
    await this.#endApprovals(now, result);
    return result;
  }

  async #endApprovals(now: Date, result: SchedulerTick): Promise<void> {
    // An approval naming an escalateToRole moves to that role once, without expiry, rather than expiring.
    for (const approval of await this.#store.approvals.escalateDue(now)) {
      result.escalated.push({ approvalId: approval.id, runId: approval.runId, role: approval.approverRole });
      this.#logger?.info(
        { approvalId: approval.id, runId: approval.runId, role: approval.approverRole },
        "approval escalated",
      );
    }
    for (const approval of await this.#store.approvals.expireDue(now)) {
      const at = { approvalId: approval.id, runId: approval.runId, nodeId: approval.nodeId };
      try {
        await this.#runtime.resumeRun(approval.runId, approval.nodeId, EXPIRED_APPROVAL_DECISION);
        result.expired.push(at);
        this.#logger?.info(at, "approval expired");
      } catch (error) {
        // A run cancelled (or otherwise ended) while it waited has nothing left to resume.
        if ((error as { code?: unknown }).code === "WEFT_E_RUN_NOT_WAITING") {
          this.#logger?.debug(at, "approval expired on a run no longer waiting for it");
          continue;
        }
        result.failed++;
        this.#logger?.warn({ ...at, err: error }, "approval expired but its run could not be resumed");
      }
    }
  }

  async #fire(trigger: TriggerRecord, now: Date, result: SchedulerTick): Promise<void> {
    const scheduledAt = trigger.nextRunAt as string;
    const next = trigger.cron ? nextScheduledRun({ cron: trigger.cron, timezone: trigger.timezone }, now) : undefined;
    if (!(await this.#store.triggers.advance(trigger.id, scheduledAt, next ?? null))) {
      result.skipped++;
      return;
    }
    try {
      const started = await this.#runtime.startRun({
        workflowId: trigger.workflowId,
        input: { scheduledAt } as Json,
        trigger: { type: "schedule", id: trigger.id },
      });
      result.fired.push({ triggerId: trigger.id, runId: started.runId, scheduledAt });
      this.#logger?.info({ triggerId: trigger.id, runId: started.runId, scheduledAt }, "schedule fired");
    } catch (error) {
      result.failed++;
      this.#logger?.warn(
        { err: error, triggerId: trigger.id, workflowId: trigger.workflowId, scheduledAt },
        "schedule fired but its run could not be started",
      );
    }
  }
}

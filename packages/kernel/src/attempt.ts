// One node attempt: preprocess → execute → postprocess in sequence, raced against the attempt's
// abort (timeout or cancel), then finalize exactly once with the outcome, whatever happened. An
// aborted attempt ends when its phases return or its grace period runs out, whichever is first.

import type { AttemptContext } from "./context.ts";
import type { AttemptOutcome, ErrorInfo, Json, NodeStrategy } from "./contracts.ts";
import { WeftError } from "./errors.ts";
import { isEmitted, isSuspension } from "./lifecycle.ts";

/** Where an attempt runs: enough to label its errors. */
export interface AttemptSite {
  runId: string;
  nodeId: string;
  plugin: string | undefined;
}

function succeeded(output: unknown, port: string | undefined): AttemptOutcome {
  return { status: "succeeded", output: output === undefined ? null : (output as Json), port: port ?? "default" };
}

async function runPhases(
  strategy: NodeStrategy<unknown, unknown, unknown>,
  ctx: AttemptContext,
): Promise<AttemptOutcome> {
  const prepared = strategy.preprocess === undefined ? undefined : await strategy.preprocess(ctx);
  const result = await strategy.execute(ctx, prepared);
  if (isSuspension(result)) return { status: "suspended", wait: result.wait };
  if (strategy.postprocess !== undefined) {
    const shaped = await strategy.postprocess(ctx, result);
    if (isSuspension(shaped)) return { status: "suspended", wait: shaped.wait };
    return succeeded(shaped?.output, shaped?.port);
  }
  if (isEmitted(result)) return succeeded(result.output, result.port);
  return succeeded(result, undefined);
}

/** The outcome of an attempt that threw or was aborted with `reason`. */
export function outcomeOfError(reason: unknown, site: AttemptSite): AttemptOutcome {
  const error = WeftError.from(reason, site);
  if (error.code === "WEFT_E_CANCELLED") return { status: "cancelled" };
  return { status: "failed", error: error.toJSON() };
}

/** The abort functions of a run's in-flight attempts; the run calls each on cancel. */
export type AbortHooks = Set<(reason: unknown) => void>;

/** How long an attempt may run and how long it gets to stop once aborted. */
export interface AttemptLimits {
  /** The node's `timeoutMs`, when it has one. */
  timeoutMs: number | undefined;
  /** How long to wait, after the abort, for the phases to return before abandoning them. */
  graceMs: number;
  /** The attempt's own controller when it has a timeout, so a cancel also aborts that controller. */
  controller: AbortController | undefined;
}

// The outcome of an attempt whose phases were still running when the grace period ran out. It is
// never retried: the next attempt would run next to this one, with the same idempotency key.
function abandoned(outcome: AttemptOutcome, graceMs: number): AttemptOutcome {
  if (outcome.status !== "failed") return outcome;
  const { details } = outcome.error;
  const base = typeof details === "object" && details !== null && !Array.isArray(details) ? details : {};
  return {
    status: "failed",
    error: { ...outcome.error, retryable: false, details: { ...base, abandoned: true, graceMs } },
  };
}

/**
 * Runs the first three phases. When the attempt is aborted (timeout or cancel) the outcome is the
 * abort's, but it settles only once the phases have returned, or after `limits.graceMs`: `finalize`
 * must not run, nor a retry start, while a strategy that ignores `ctx.signal` is still working.
 * Phases still running after the grace period are abandoned (logged on the attempt, and marked
 * `details.abandoned` on a failed outcome), so such a strategy holds the run for at most that long.
 */
export function runAttemptPhases(
  strategy: NodeStrategy<unknown, unknown, unknown>,
  ctx: AttemptContext,
  site: AttemptSite,
  hooks: AbortHooks,
  limits: AttemptLimits,
): Promise<AttemptOutcome> {
  return new Promise<AttemptOutcome>((resolve) => {
    let settled = false;
    let aborted: AttemptOutcome | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let grace: ReturnType<typeof setTimeout> | undefined;
    const finish = (outcome: AttemptOutcome) => {
      if (settled) return;
      settled = true;
      hooks.delete(onAbort);
      if (timer !== undefined) clearTimeout(timer);
      if (grace !== undefined) clearTimeout(grace);
      resolve(outcome);
    };
    const onAbort = (reason: unknown) => {
      if (settled || aborted !== undefined) return;
      hooks.delete(onAbort);
      if (timer !== undefined) clearTimeout(timer);
      limits.controller?.abort(reason);
      const outcome = outcomeOfError(reason, site);
      aborted = outcome;
      grace = setTimeout(() => {
        ctx.logger.warn(`Node ${site.nodeId} was abandoned: it did not stop within ${limits.graceMs} ms of its abort`, {
          abandoned: true,
          graceMs: limits.graceMs,
          reason: outcome.status === "failed" ? outcome.error.code : "WEFT_E_CANCELLED",
        });
        finish(abandoned(outcome, limits.graceMs));
      }, limits.graceMs);
    };
    if (ctx.signal.aborted) {
      finish(outcomeOfError(ctx.signal.reason, site));
      return;
    }
    hooks.add(onAbort);
    const { timeoutMs } = limits;
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => {
        onAbort(
          new WeftError("WEFT_E_TIMEOUT", `Node ${site.nodeId} did not finish within ${timeoutMs} ms`, {
            nodeId: site.nodeId,
            runId: site.runId,
            plugin: site.plugin,
            details: { timeoutMs },
          }),
        );
      }, timeoutMs);
    }
    let phases: Promise<AttemptOutcome>;
    try {
      phases = runPhases(strategy, ctx);
    } catch (error) {
      finish(outcomeOfError(error, site));
      return;
    }
    // Once aborted, what the phases return no longer matters: the attempt timed out or was cancelled.
    phases.then(
      (outcome) => finish(aborted ?? outcome),
      (error: unknown) => finish(aborted ?? outcomeOfError(error, site)),
    );
  });
}

/** Runs `finalize`; returns the error it threw (never throws), so it cannot hide the outcome. */
export async function runFinalize(
  strategy: NodeStrategy<unknown, unknown, unknown>,
  ctx: AttemptContext,
  outcome: AttemptOutcome,
  site: AttemptSite,
): Promise<ErrorInfo | undefined> {
  try {
    await strategy.finalize?.(ctx, outcome);
    return undefined;
  } catch (error) {
    return WeftError.from(error, site).toJSON();
  }
}

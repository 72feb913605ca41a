// One node attempt: preprocess → execute → postprocess in sequence, raced against the attempt's
// abort (timeout or cancel), then finalize exactly once with the outcome, whatever happened.

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

/**
 * Runs the first three phases and settles as soon as they finish or the attempt is aborted (a
 * strategy that ignores `ctx.signal` cannot hold the run). `abortAttempt` is the attempt's own
 * controller when it has a timeout, so a cancel also aborts that controller.
 */
export function runAttemptPhases(
  strategy: NodeStrategy<unknown, unknown, unknown>,
  ctx: AttemptContext,
  site: AttemptSite,
  hooks: AbortHooks,
  timeoutMs: number | undefined,
  attemptController: AbortController | undefined,
): Promise<AttemptOutcome> {
  return new Promise<AttemptOutcome>((resolve) => {
    let settled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = (outcome: AttemptOutcome) => {
      if (settled) return;
      settled = true;
      hooks.delete(onAbort);
      if (timer !== undefined) clearTimeout(timer);
      resolve(outcome);
    };
    const onAbort = (reason: unknown) => {
      attemptController?.abort(reason);
      finish(outcomeOfError(reason, site));
    };
    if (ctx.signal.aborted) {
      finish(outcomeOfError(ctx.signal.reason, site));
      return;
    }
    hooks.add(onAbort);
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
    phases.then(finish, (error: unknown) => finish(outcomeOfError(error, site)));
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

// Values a strategy returns to tell the kernel more than "here is my output": suspend the node, or
// leave on a named port without writing a postprocess phase.
import type { Json, Suspension, WaitSpec } from "./contracts.ts";

/**
 * Suspends the node: return it from `execute` or `postprocess`. The attempt ends `suspended`, the
 * run goes `waiting` once nothing else can run, and `WorkflowEngine.resume` continues the node with
 * a new attempt whose `ctx.resume` is the payload.
 */
export function suspend(wait: WaitSpec): Suspension {
  return { kind: "suspension", wait };
}

/** True when a phase returned a {@link Suspension}. */
export function isSuspension(value: unknown): value is Suspension {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { kind?: unknown }).kind === "suspension" &&
    typeof (value as { wait?: unknown }).wait === "object" &&
    (value as { wait?: unknown }).wait !== null
  );
}

// A registered symbol, so a result built by another copy of the kernel is still recognised.
const emitted: unique symbol = Symbol.for("weft.kernel.emitted");

/** A result that names the port it leaves on. Create it with {@link emit}. */
export interface Emitted<TOutput = Json> {
  readonly [emitted]: true;
  readonly port: string;
  readonly output: TOutput;
}

/**
 * Returns `output` on `port` from `execute` (e.g. `emit("true", item)` in a condition node). The
 * kernel honours it when the strategy has no `postprocess`; with one, `postprocess` receives it as
 * the result and decides.
 */
export function emit<TOutput = Json>(port: string, output: TOutput): Emitted<TOutput> {
  return { [emitted]: true, port, output };
}

/** True when a result was created with {@link emit}. */
export function isEmitted(value: unknown): value is Emitted<unknown> {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[emitted] === true;
}

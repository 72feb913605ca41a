// How one `execute` call stops early: a node failure, a cancel, a pause, or a subscriber that threw.
// Each is recorded once; the first reason wins.
import type { AbortHooks } from "./attempt.ts";
import type { ErrorInfo } from "./contracts.ts";
import { WeftError } from "./errors.ts";

/** The early-stop state of one run's `execute` call. Internal to the kernel. */
export class RunStop {
  readonly #runId: string;
  /** Aborted on cancel: every `ctx.signal` without a timeout is this controller's signal. */
  readonly #controller = new AbortController();
  /** Aborted when the run stops early (cancel, failure): ends retry backoffs. */
  readonly #stop = new AbortController();
  /** The abort functions of the attempts in flight. */
  readonly hooks: AbortHooks = new Set();
  #cancelled: WeftError | undefined;
  #failure: ErrorInfo | undefined;
  #fatal: { error: unknown } | undefined;
  /** Set when `shouldPause` said yes: nothing new starts. */
  paused = false;

  constructor(runId: string) {
    this.#runId = runId;
  }

  /** The signal of attempts without a timeout; aborted on cancel. */
  get cancelSignal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Aborted on cancel or failure: ends retry backoffs. */
  get stopSignal(): AbortSignal {
    return this.#stop.signal;
  }

  get cancelled(): WeftError | undefined {
    return this.#cancelled;
  }

  get failure(): ErrorInfo | undefined {
    return this.#failure;
  }

  /** The error of a subscriber that threw: `run` rethrows it. */
  get fatal(): { error: unknown } | undefined {
    return this.#fatal;
  }

  stopping(): boolean {
    return this.#cancelled !== undefined || this.#failure !== undefined || this.#fatal !== undefined;
  }

  fail(error: ErrorInfo): void {
    if (this.#failure !== undefined) return;
    this.#failure = error;
    this.#stop.abort(new WeftError("WEFT_E_NODE_FAILED", "The run failed"));
  }

  cancel(reason: unknown): void {
    if (this.#cancelled !== undefined) return;
    const error =
      reason instanceof WeftError && reason.code === "WEFT_E_CANCELLED"
        ? reason
        : new WeftError("WEFT_E_CANCELLED", "The run was cancelled", { runId: this.#runId, cause: reason });
    this.#cancelled = error;
    this.#controller.abort(error);
    this.#stop.abort(error);
    for (const hook of [...this.hooks]) hook(error);
  }

  // Only a subscriber can make a node task reject: stop everything and rethrow from `run`.
  subscriberFailed(error: unknown): void {
    if (this.#fatal !== undefined) return;
    this.#fatal = { error };
    this.cancel(new WeftError("WEFT_E_CANCELLED", "Run execution stopped: a subscriber failed", { cause: error }));
  }
}

// The pool of warm isolates user scripts run in. One run holds one isolate; runs beyond the pool size
// wait in FIFO order. Each run gets a fresh context, so nothing a script leaves behind is visible to
// the next one; isolates are replaced after a number of runs, when their heap has grown, and at once
// after a run hit a limit (out of memory, time, CPU, cancelled).
import { availableParallelism } from "node:os";
import type { Json } from "@weft/kernel";
import { SandboxError } from "./errors.ts";
import { IsolateSlot } from "./isolate-slot.ts";
import { poolLimits, runLimits, type SandboxLimits } from "./limits.ts";
import { RESERVED_GLOBALS } from "./runner-source.ts";
import { type HostFunction, runOnSlot, type SandboxResult } from "./script-run.ts";

/** How a {@link SandboxPool} is sized and when it replaces isolates. */
export interface SandboxPoolOptions {
  /** Isolates running at once (default: `os.availableParallelism()`). */
  size?: number;
  /** Runs an isolate serves before it is replaced (default 1000). */
  maxRunsPerIsolate?: number;
  /**
   * Heap in use after a run (MiB) above which the isolate is replaced (default: half its memory
   * limit). Catches what survives the per-run context, such as isolated-vm handles.
   */
  recycleHeapMb?: number;
  /** Limits of a run that asks for none. Clamped to `maxLimits`. */
  defaultLimits?: Partial<SandboxLimits>;
  /** Operator maxima: every requested limit is clamped to these. */
  maxLimits?: Partial<SandboxLimits>;
}

/** One script run. */
export interface SandboxRunOptions {
  /** Values defined as globals of the script (copied in), e.g. `input`, `nodes`, `attempt`. */
  globals?: Record<string, unknown>;
  /** This run's limits over the pool's defaults; clamped to the pool's maxima. */
  limits?: Partial<SandboxLimits>;
  /** Aborting cancels the run (`WEFT_E_SANDBOX_CANCELLED`), waiting or running. */
  signal?: AbortSignal;
  /**
   * Host functions the script may call, as globals returning promises. Arguments and results cross
   * as JSON copies; a host error reaches the script as an `Error` with the message only.
   */
  hostFunctions?: Record<string, HostFunction>;
}

/** A snapshot of the pool's activity. */
export interface SandboxPoolStats {
  /** Most isolates the pool keeps. */
  size: number;
  /** Isolates alive now. */
  isolates: number;
  /** Isolates running a script now. */
  busy: number;
  /** Runs waiting for an isolate. */
  queued: number;
  /** Runs finished (succeeded or failed) since the pool was created. */
  runs: number;
  /** Runs that failed, by error code. */
  failures: Record<string, number>;
  isolatesCreated: number;
  isolatesDisposed: number;
}

interface Waiter {
  memoryMb: number;
  resolve(slot: IsolateSlot): void;
  reject(error: unknown): void;
}

const DEFAULT_MAX_RUNS_PER_ISOLATE = 1_000;
/** Reading heap statistics takes the isolate's lock; once every few runs is enough to see growth. */
const HEAP_CHECK_EVERY = 8;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * A pool of warm isolated-vm isolates that runs user scripts under memory, wall-time, CPU-time,
 * output and console limits. Nothing of the host is reachable from a script except the globals
 * (copies) and host functions a run passes in. The host's event loop stays free while scripts run.
 */
export class SandboxPool {
  readonly #size: number;
  readonly #maxRuns: number;
  readonly #recycleHeapMb: number | undefined;
  readonly #defaults: SandboxLimits;
  readonly #maxima: SandboxLimits;
  readonly #slots = new Set<IsolateSlot>();
  readonly #queue: Waiter[] = [];
  readonly #failures: Record<string, number> = {};
  #runs = 0;
  #created = 0;
  #disposedCount = 0;
  #disposed = false;

  constructor(options: SandboxPoolOptions = {}) {
    this.#size = positiveInteger("size", options.size ?? availableParallelism());
    this.#maxRuns = positiveInteger("maxRunsPerIsolate", options.maxRunsPerIsolate ?? DEFAULT_MAX_RUNS_PER_ISOLATE);
    if (options.recycleHeapMb !== undefined) positiveInteger("recycleHeapMb", Math.ceil(options.recycleHeapMb));
    this.#recycleHeapMb = options.recycleHeapMb;
    const { defaults, maxima } = poolLimits(options.defaultLimits, options.maxLimits);
    this.#defaults = defaults;
    this.#maxima = maxima;
  }

  /** The limits a run gets when it asks for none. */
  get defaultLimits(): SandboxLimits {
    return { ...this.#defaults };
  }

  /** The operator maxima requested limits are clamped to. */
  get maxLimits(): SandboxLimits {
    return { ...this.#maxima };
  }

  /**
   * Runs `code` as the body of an async function and resolves with its return value. Throws a
   * {@link SandboxError}: `WEFT_E_SCRIPT_ERROR` when the script threw (retryable),
   * `WEFT_E_SCRIPT_SYNTAX`, a limit (`WEFT_E_SANDBOX_MEMORY`, `_TIMEOUT`, `_CPU`, `_OUTPUT`),
   * `WEFT_E_SANDBOX_INPUT` or `WEFT_E_SANDBOX_CANCELLED`. A failed run never affects other runs.
   */
  async run(code: string, options: SandboxRunOptions = {}): Promise<SandboxResult> {
    if (typeof code !== "string") throw new SandboxError("WEFT_E_SCRIPT_SYNTAX", "The script must be a string");
    const limits = runLimits(options.limits, this.#defaults, this.#maxima);
    const globals = options.globals ?? {};
    const hostFunctions = options.hostFunctions ?? {};
    checkNames(globals, hostFunctions);
    const slot = await this.#acquire(limits.memoryMb, options.signal);
    try {
      return await runOnSlot(slot, { code, globals, hostFunctions, limits, signal: options.signal });
    } catch (error) {
      const code = error instanceof SandboxError ? error.code : "WEFT_E_SCRIPT_ERROR";
      this.#failures[code] = (this.#failures[code] ?? 0) + 1;
      throw error;
    } finally {
      this.#runs++;
      slot.runs++;
      this.#release(slot);
    }
  }

  /** Counters and gauges of the pool (for metrics and tests). */
  stats(): SandboxPoolStats {
    let busy = 0;
    for (const slot of this.#slots) if (slot.busy) busy++;
    return {
      size: this.#size,
      isolates: this.#slots.size,
      busy,
      queued: this.#queue.length,
      runs: this.#runs,
      failures: { ...this.#failures },
      isolatesCreated: this.#created,
      isolatesDisposed: this.#disposedCount,
    };
  }

  /** Disposes every isolate; running and waiting runs fail with `WEFT_E_SANDBOX_CANCELLED`. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const waiter of this.#queue.splice(0)) waiter.reject(cancelled("The sandbox pool was disposed"));
    for (const slot of this.#slots) {
      if (slot.busy) slot.stopReason ??= "cancelled";
      this.#drop(slot);
    }
  }

  #acquire(memoryMb: number, signal: AbortSignal | undefined): Promise<IsolateSlot> {
    if (this.#disposed) return Promise.reject(cancelled("The sandbox pool was disposed"));
    if (signal?.aborted) return Promise.reject(cancelled("The script run was cancelled before it started"));
    const slot = this.#take(memoryMb);
    if (slot !== undefined) return Promise.resolve(slot);
    return new Promise<IsolateSlot>((resolve, reject) => {
      const onAbort = () => {
        const index = this.#queue.indexOf(waiter);
        if (index >= 0) this.#queue.splice(index, 1);
        reject(cancelled("The script run was cancelled while waiting for an isolate"));
      };
      const waiter: Waiter = {
        memoryMb,
        resolve: (taken) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(taken);
        },
        reject: (error) => {
          signal?.removeEventListener("abort", onAbort);
          reject(error);
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#queue.push(waiter);
    });
  }

  /** An idle isolate with this memory limit, a new one if there is room, or undefined. */
  #take(memoryMb: number): IsolateSlot | undefined {
    let other: IsolateSlot | undefined;
    for (const slot of this.#slots) {
      if (slot.busy) continue;
      if (slot.memoryMb === memoryMb) return this.#claim(slot);
      other ??= slot;
    }
    // Full of idle isolates with another memory limit: the limit is fixed per isolate, so replace one.
    if (this.#slots.size >= this.#size && other !== undefined) this.#drop(other);
    if (this.#slots.size >= this.#size) return undefined;
    const slot = new IsolateSlot(memoryMb);
    this.#created++;
    this.#slots.add(slot);
    return this.#claim(slot);
  }

  #claim(slot: IsolateSlot): IsolateSlot {
    slot.busy = true;
    slot.stopReason = undefined;
    return slot;
  }

  #release(slot: IsolateSlot): void {
    if (!slot.disposed && slot.runs >= this.#maxRuns) this.#drop(slot);
    if (!slot.disposed && slot.runs % HEAP_CHECK_EVERY === 0) {
      try {
        if (slot.heapMb() > (this.#recycleHeapMb ?? slot.memoryMb / 2)) this.#drop(slot);
      } catch {
        this.#drop(slot);
      }
    }
    if (slot.disposed) this.#drop(slot);
    else if (!this.#disposed) slot.prepareContext();
    slot.busy = false;
    this.#drain();
  }

  #drain(): void {
    while (this.#queue.length > 0) {
      const next = this.#queue[0] as Waiter;
      const slot = this.#take(next.memoryMb);
      if (slot === undefined) return;
      this.#queue.shift();
      next.resolve(slot);
    }
  }

  #drop(slot: IsolateSlot): void {
    if (!this.#slots.delete(slot)) return;
    this.#disposedCount++;
    slot.dispose();
  }
}

function cancelled(message: string): SandboxError {
  return new SandboxError("WEFT_E_SANDBOX_CANCELLED", message);
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new SandboxError(
      "WEFT_E_SANDBOX_LIMIT_INVALID",
      `SandboxPool option ${name} must be a positive integer, got ${String(value)}`,
      {
        details: { option: name },
      },
    );
  }
  return value;
}

function checkNames(globals: Record<string, unknown>, hostFunctions: Record<string, HostFunction>): void {
  const names: Json[] = [];
  const seen = new Set<string>();
  for (const name of [...Object.keys(globals), ...Object.keys(hostFunctions)]) {
    if (!IDENTIFIER.test(name) || RESERVED_GLOBALS.includes(name) || seen.has(name)) names.push(name);
    seen.add(name);
  }
  for (const [name, fn] of Object.entries(hostFunctions)) if (typeof fn !== "function") names.push(name);
  if (names.length > 0) {
    throw new SandboxError("WEFT_E_SANDBOX_INPUT", `Invalid, reserved or duplicate global names: ${names.join(", ")}`, {
      details: { names },
    });
  }
}

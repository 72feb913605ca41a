// One script run on one isolate: copy the inputs in, run the compiled unit without blocking the host's
// event loop, watch wall and CPU time from the host, answer timers and host calls, and turn the
// envelope (or the way the isolate died) into a result or a SandboxError.
import type { Json, LogEntry } from "@weft/kernel";
import ivm from "isolated-vm";
import { ConsoleCapture } from "./console-capture.ts";
import { SandboxError } from "./errors.ts";
import type { IsolateSlot } from "./isolate-slot.ts";
import type { SandboxLimits } from "./limits.ts";

/** A host function a script may call; arguments and result are copied as JSON. */
export type HostFunction = (...args: Json[]) => Json | Promise<Json>;

/** What a successful run returns. */
export interface SandboxResult {
  /** The script's return value (`null` when it returned nothing). */
  value: Json;
  /** What the script wrote to `console`, bounded by the run's log limits. */
  logs: LogEntry[];
  /** CPU time the run spent in the isolate, in milliseconds. */
  cpuTimeMs: number;
  /** Wall time of the run, awaits included, in milliseconds. */
  wallTimeMs: number;
}

export interface ScriptRunRequest {
  code: string;
  globals: Record<string, unknown>;
  hostFunctions: Record<string, HostFunction>;
  limits: SandboxLimits;
  signal: AbortSignal | undefined;
}

type Envelope = { kind: "R"; json: string } | { kind: "E"; json: string } | { kind: "O"; message: string };

/** Runs `request` on `slot`, which the caller holds exclusively. Always leaves the slot reusable or disposed. */
export async function runOnSlot(slot: IsolateSlot, request: ScriptRunRequest): Promise<SandboxResult> {
  const { limits } = request;
  const capture = new ConsoleCapture(limits.maxLogEntries, limits.maxLogBytes);
  const started = performance.now();
  const cpuStart = slot.isolate.cpuTime;
  const watch = new Watchdog(slot, limits, cpuStart);
  const abort = () => watch.stop("cancelled");
  request.signal?.addEventListener("abort", abort, { once: true });
  let context: ivm.Context | undefined;
  const host = new HostBridge(request.hostFunctions, limits.timeoutMs);
  try {
    if (request.signal?.aborted)
      throw new SandboxError("WEFT_E_SANDBOX_CANCELLED", "The script run was cancelled before it started");
    context = await slot.takeContext();
    const script = await slot.script(request.code, context, limits.timeoutMs);
    const bootData = copyIn(request.globals, Object.keys(request.hostFunctions), limits);
    // Tiny synchronous sets on an idle isolate with a fresh context: no user code can run here.
    const global = context.global;
    global.setSync("__weft", bootData.copyInto({ release: true }));
    global.setSync(
      "__weftLog",
      new ivm.Callback((level: string, message: string) => capture.add(level, message), { ignored: true }),
    );
    global.setSync(
      "__weftPost",
      new ivm.Callback(
        (kind: string, id: number, a: unknown, b: unknown) => host.post(context as ivm.Context, kind, id, a, b),
        {
          ignored: true,
        },
      ),
    );
    const completion: unknown = await script.run(context, { timeout: limits.timeoutMs, promise: true });
    const envelope = readEnvelope(completion);
    const cpuTimeMs = Number(slot.isolate.cpuTime - cpuStart) / 1e6;
    const wallTimeMs = performance.now() - started;
    return {
      value: settleEnvelope(envelope, request.code.split("\n").length, limits, capture),
      logs: capture.entries(),
      cpuTimeMs,
      wallTimeMs,
    };
  } catch (error) {
    throw classify(error, slot, limits, capture);
  } finally {
    watch.clear();
    host.close();
    request.signal?.removeEventListener("abort", abort);
    if (context !== undefined && !slot.disposed) context.release();
  }
}

function copyIn(globals: Record<string, unknown>, hostNames: string[], limits: SandboxLimits): ivm.ExternalCopy {
  try {
    return new ivm.ExternalCopy({
      globals,
      hostNames,
      limits: {
        maxOutputBytes: limits.maxOutputBytes,
        maxLogEntries: limits.maxLogEntries,
        maxLogBytes: limits.maxLogBytes,
      },
    });
  } catch (error) {
    throw new SandboxError(
      "WEFT_E_SANDBOX_INPUT",
      `The globals cannot be copied into the sandbox: ${messageOf(error)}`,
      {
        cause: error,
      },
    );
  }
}

function readEnvelope(completion: unknown): Envelope {
  if (typeof completion === "string" && completion.length > 0) {
    const kind = completion[0];
    const rest = completion.slice(1);
    if (kind === "R" || kind === "E") return { kind, json: rest };
    if (kind === "O") return { kind, message: rest };
  }
  return { kind: "O", message: "the script did not complete through the sandbox runner" };
}

function settleEnvelope(envelope: Envelope, codeLines: number, limits: SandboxLimits, capture: ConsoleCapture): Json {
  if (envelope.kind === "O") {
    throw new SandboxError("WEFT_E_SANDBOX_OUTPUT", `The script's result was rejected: ${envelope.message}`, {
      details: { maxOutputBytes: limits.maxOutputBytes },
      logs: capture.entries(),
    });
  }
  if (envelope.kind === "E") throw scriptError(envelope.json, codeLines, capture);
  const bytes = Buffer.byteLength(envelope.json, "utf8");
  if (bytes > limits.maxOutputBytes) {
    throw new SandboxError(
      "WEFT_E_SANDBOX_OUTPUT",
      `The script's result is ${bytes} bytes, over the limit of ${limits.maxOutputBytes}`,
      {
        details: { bytes, maxOutputBytes: limits.maxOutputBytes },
        logs: capture.entries(),
      },
    );
  }
  return JSON.parse(envelope.json) as Json;
}

/** The script's own stack frames (those whose location is `script.js:line:column` within its lines). */
function scriptStack(stack: string, codeLines: number): string[] {
  const frames: string[] = [];
  const location = /script\.js:(\d+):(\d+)\)?$/;
  for (const line of stack.split("\n")) {
    const match = location.exec(line.trim());
    const lineNumber = Number(match?.[1]);
    if (match === null || lineNumber < 1 || lineNumber > codeLines) continue;
    frames.push(line.trim());
    if (frames.length >= 20) break;
  }
  return frames;
}

function scriptError(json: string, codeLines: number, capture: ConsoleCapture): SandboxError {
  let info: { name?: unknown; message?: unknown; stack?: unknown; thrown?: unknown } = {};
  try {
    info = JSON.parse(json) as typeof info;
  } catch {
    info = { message: "the script failed" };
  }
  const name = typeof info.name === "string" && info.name !== "" ? info.name : undefined;
  const message = typeof info.message === "string" ? info.message : "the script failed";
  const stack = typeof info.stack === "string" ? scriptStack(info.stack, codeLines) : [];
  const thrown = typeof info.thrown === "string" ? info.thrown : "error";
  const details: Record<string, Json> = { thrown, stack };
  if (name !== undefined) details.name = name;
  if (name === "RangeError" && message === "Array buffer allocation failed") {
    // V8 refuses the buffer because the isolate's memory limit would be exceeded.
    return new SandboxError("WEFT_E_SANDBOX_MEMORY", `The script exceeded its memory limit: ${message}`, {
      details,
      logs: capture.entries(),
    });
  }
  return new SandboxError("WEFT_E_SCRIPT_ERROR", name === undefined ? message : `${name}: ${message}`, {
    details,
    logs: capture.entries(),
  });
}

function classify(error: unknown, slot: IsolateSlot, limits: SandboxLimits, capture: ConsoleCapture): SandboxError {
  const logs = capture.entries();
  const reason = slot.stopReason;
  if (reason === "cancelled") return new SandboxError("WEFT_E_SANDBOX_CANCELLED", undefined, { logs });
  if (reason === "timeout" || (error instanceof Error && error.message.includes("Script execution timed out"))) {
    slot.dispose();
    return new SandboxError(
      "WEFT_E_SANDBOX_TIMEOUT",
      `The script ran longer than its wall-time limit of ${limits.timeoutMs} ms`,
      {
        details: { timeoutMs: limits.timeoutMs },
        logs,
      },
    );
  }
  if (reason === "cpu") {
    return new SandboxError(
      "WEFT_E_SANDBOX_CPU",
      `The script used more than its CPU-time limit of ${limits.cpuTimeMs} ms`,
      {
        details: { cpuTimeMs: limits.cpuTimeMs },
        logs,
      },
    );
  }
  if (error instanceof SandboxError) return error;
  if (slot.disposed) {
    // Nobody on the host disposed it: V8 ran out of heap (isolated-vm says "due to memory limit").
    return new SandboxError("WEFT_E_SANDBOX_MEMORY", `The script exceeded its memory limit of ${limits.memoryMb} MB`, {
      details: { memoryMb: limits.memoryMb },
      logs,
      cause: error,
    });
  }
  return new SandboxError("WEFT_E_SCRIPT_ERROR", `The script failed: ${messageOf(error)}`, { logs, cause: error });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Stops a run from the host: the wall-time limit (awaits included, which isolated-vm's own timeout
 * does not cover) and the CPU-time limit. Stopping means disposing the isolate: that is the only
 * way to end code that never yields, and an isolate that hit a limit is not reused anyway.
 */
class Watchdog {
  readonly #slot: IsolateSlot;
  readonly #cpuStart: bigint;
  readonly #cpuLimitMs: number;
  #wallTimer: NodeJS.Timeout | undefined;
  #cpuTimer: NodeJS.Timeout | undefined;

  constructor(slot: IsolateSlot, limits: SandboxLimits, cpuStart: bigint) {
    this.#slot = slot;
    this.#cpuStart = cpuStart;
    this.#cpuLimitMs = limits.cpuTimeMs;
    this.#wallTimer = setTimeout(() => this.stop("timeout"), limits.timeoutMs);
    // CPU time never runs ahead of wall time, so nothing can be over the limit before it has elapsed.
    if (limits.cpuTimeMs < limits.timeoutMs) this.#armCpu(limits.cpuTimeMs);
  }

  #armCpu(afterMs: number): void {
    this.#cpuTimer = setTimeout(() => {
      if (this.#slot.disposed) return;
      const usedMs = Number(this.#slot.isolate.cpuTime - this.#cpuStart) / 1e6;
      if (usedMs >= this.#cpuLimitMs) this.stop("cpu");
      else this.#armCpu(Math.max(5, this.#cpuLimitMs - usedMs));
    }, afterMs);
  }

  stop(reason: "timeout" | "cpu" | "cancelled"): void {
    if (this.#slot.stopReason !== undefined || this.#slot.disposed) return;
    this.#slot.stopReason = reason;
    this.#slot.dispose();
  }

  clear(): void {
    clearTimeout(this.#wallTimer);
    clearTimeout(this.#cpuTimer);
  }
}

/** Answers the script's timers and host calls; everything it started is dropped when the run ends. */
class HostBridge {
  readonly #functions: Record<string, HostFunction>;
  readonly #maxDelayMs: number;
  readonly #timers = new Map<number, NodeJS.Timeout>();
  #settle: Promise<ivm.Reference<(kind: string, id: number, ok: boolean, payload: unknown) => void>> | undefined;
  #closed = false;

  constructor(functions: Record<string, HostFunction>, maxDelayMs: number) {
    this.#functions = functions;
    this.#maxDelayMs = maxDelayMs;
  }

  post(context: ivm.Context, kind: string, id: number, a: unknown, b: unknown): void {
    if (this.#closed) return;
    if (kind === "timer") {
      const delay = Math.min(typeof a === "number" && Number.isFinite(a) ? a : 0, this.#maxDelayMs);
      this.#timers.set(
        id,
        setTimeout(() => {
          this.#timers.delete(id);
          this.#answer(context, "timer", id, true, null);
        }, delay),
      );
    } else if (kind === "clear") {
      clearTimeout(this.#timers.get(id));
      this.#timers.delete(id);
    } else if (kind === "call" && typeof a === "string" && typeof b === "string") {
      void this.#call(context, id, a, b);
    }
  }

  async #call(context: ivm.Context, id: number, name: string, argsJson: string): Promise<void> {
    const fn = Object.hasOwn(this.#functions, name) ? this.#functions[name] : undefined;
    try {
      if (fn === undefined) throw new Error(`${name} is not a host function`);
      const result = await fn(...(JSON.parse(argsJson) as Json[]));
      this.#answer(context, "call", id, true, JSON.stringify(result ?? null));
    } catch (error) {
      // Only the message crosses: host stacks and objects stay on the host.
      this.#answer(context, "call", id, false, `${name}: ${messageOf(error)}`);
    }
  }

  #answer(context: ivm.Context, kind: string, id: number, ok: boolean, payload: string | null): void {
    if (this.#closed) return;
    this.#settle ??= context.global.get("__weftSettle", { reference: true }) as Promise<
      ivm.Reference<(kind: string, id: number, ok: boolean, payload: unknown) => void>
    >;
    this.#settle
      .then((settle) => {
        if (!this.#closed) settle.applyIgnored(undefined, [kind, id, ok, payload]);
      })
      .catch(() => {});
  }

  close(): void {
    this.#closed = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    void this.#settle?.then((settle) => settle.release()).catch(() => {});
  }
}

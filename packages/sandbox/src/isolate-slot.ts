// One warm isolate of the pool: its memory limit, how often it has run, its compiled scripts, and the
// fresh context it keeps ready for its next run.
import ivm from "isolated-vm";
import { SandboxError } from "./errors.ts";
import { BODY_CHECK_SOURCE, SCRIPT_FILENAME, scriptUnit } from "./runner-source.ts";

/** Compiled scripts kept per isolate; a workflow uses a handful of distinct scripts, not hundreds. */
const SCRIPT_CACHE_SIZE = 64;

export class IsolateSlot {
  readonly isolate: ivm.Isolate;
  readonly memoryMb: number;
  runs = 0;
  busy = false;
  /** Why the pool disposed this isolate while a run was in it (the run reports this code). */
  stopReason: "timeout" | "cpu" | "cancelled" | undefined;
  readonly #scripts = new Map<string, ivm.Script>();
  #nextContext: Promise<ivm.Context> | undefined;

  constructor(memoryMb: number) {
    this.memoryMb = memoryMb;
    this.isolate = new ivm.Isolate({ memoryLimit: memoryMb });
  }

  get disposed(): boolean {
    return this.isolate.isDisposed;
  }

  /**
   * A context no run has used yet. The next one is created in the background as soon as a run ends,
   * so a run on a warm isolate does not wait for V8 to build a context.
   */
  takeContext(): Promise<ivm.Context> {
    const next = this.#nextContext ?? this.isolate.createContext();
    this.#nextContext = undefined;
    return next;
  }

  /** Starts building the next run's context while the isolate is idle. */
  prepareContext(): void {
    if (this.#nextContext !== undefined || this.disposed) return;
    const next = this.isolate.createContext();
    // A failure here (isolate disposed meanwhile) surfaces again, and is handled, when a run takes it.
    next.catch(() => {});
    this.#nextContext = next;
  }

  /** The compiled unit for `code` on this isolate; compiles and checks it on first use. */
  async script(code: string, context: ivm.Context, timeoutMs: number): Promise<ivm.Script> {
    const cached = this.#scripts.get(code);
    if (cached !== undefined) {
      // Map order is insertion order: re-inserting keeps the most recently used last.
      this.#scripts.delete(code);
      this.#scripts.set(code, cached);
      return cached;
    }
    const unit = scriptUnit(code);
    let script: ivm.Script;
    try {
      script = await this.isolate.compileScript(unit.source, {
        filename: SCRIPT_FILENAME,
        lineOffset: unit.lineOffset,
      });
      // A body that closes the wrapper early (`}); ...`) would compile as something else than one
      // function; V8's own function constructor rejects exactly that.
      await context.evalClosure(BODY_CHECK_SOURCE, [code], { timeout: timeoutMs });
    } catch (error) {
      if (this.disposed) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new SandboxError("WEFT_E_SCRIPT_SYNTAX", `The script does not compile: ${message}`, {
        details: { name: error instanceof Error ? error.name : "SyntaxError" },
      });
    }
    this.#scripts.set(code, script);
    if (this.#scripts.size > SCRIPT_CACHE_SIZE) {
      const oldest = this.#scripts.keys().next().value as string;
      this.#scripts.get(oldest)?.release();
      this.#scripts.delete(oldest);
    }
    return script;
  }

  /** Heap in use (V8 heap plus memory allocated outside it that counts against the limit), in MiB. */
  heapMb(): number {
    // Called between runs only, when no script is running: a short synchronous read.
    const stats = this.isolate.getHeapStatisticsSync();
    return (stats.used_heap_size + stats.externally_allocated_size) / (1024 * 1024);
  }

  dispose(): void {
    this.#nextContext = undefined;
    this.#scripts.clear();
    if (!this.isolate.isDisposed) this.isolate.dispose();
  }
}

// The host's side of `console`: entries the script wrote, bounded in count and bytes. The runner in the
// isolate bounds them first; this bound holds even if it did not.
import type { LogEntry } from "@weft/kernel";

const LEVELS: Record<string, LogEntry["level"]> = { debug: "debug", info: "info", warn: "warn", error: "error" };

export class ConsoleCapture {
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  readonly #entries: LogEntry[] = [];
  #bytes = 0;
  #dropped = 0;
  /** Index of the truncation marker in #entries, once there is one. */
  #marker = -1;

  constructor(maxEntries: number, maxBytes: number) {
    this.#maxEntries = maxEntries;
    this.#maxBytes = maxBytes;
  }

  /** Called from the isolate (fire-and-forget): one console line, or the runner's "truncated" notice. */
  add(level: unknown, message: unknown): void {
    if (level === "truncated") {
      const count = Number(message);
      this.#truncated(Number.isFinite(count) && count > 0 ? count : 0);
      return;
    }
    const text = typeof message === "string" ? message : String(message);
    const kept = this.#entries.length - (this.#marker >= 0 ? 1 : 0);
    if (this.#marker >= 0 || kept >= this.#maxEntries || this.#bytes + text.length > this.#maxBytes) {
      this.#dropped++;
      this.#truncated(0);
      return;
    }
    this.#bytes += text.length;
    this.#entries.push({ level: LEVELS[String(level)] ?? "info", message: text, at: new Date().toISOString() });
  }

  #truncated(reportedByRunner: number): void {
    const dropped = Math.max(reportedByRunner, this.#dropped);
    const entry: LogEntry = {
      level: "warn",
      message:
        dropped > 0
          ? `console output truncated: ${dropped} further entries dropped (limits: ${this.#maxEntries} entries, ${this.#maxBytes} bytes)`
          : `console output truncated (limits: ${this.#maxEntries} entries, ${this.#maxBytes} bytes)`,
      at: new Date().toISOString(),
      fields: { dropped, maxEntries: this.#maxEntries, maxBytes: this.#maxBytes },
    };
    if (this.#marker < 0) {
      this.#marker = this.#entries.length;
      this.#entries.push(entry);
    } else {
      this.#entries[this.#marker] = { ...entry, at: this.#entries[this.#marker]?.at ?? entry.at };
    }
  }

  /** The captured entries (a copy). */
  entries(): LogEntry[] {
    return [...this.#entries];
  }
}

// The one benchmark harness: every entry measures itself and a baseline in the same process, and
// the harness prints a table and writes bench/results.json.
import { cpus, totalmem } from "node:os";

/** One measured figure, compared with a baseline measured in the same run. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  baseline: string;
  baselineValue: number;
  /** value / baselineValue. */
  ratio: number;
  machine: string;
  at: string;
}

export type BenchFigure = Omit<BenchResult, "ratio" | "machine" | "at">;

/** A benchmark file's default export. */
export interface BenchEntry {
  name: string;
  run(): Promise<BenchFigure[]>;
}

export function machine(): string {
  const cpu = cpus();
  return `${cpu[0]?.model.trim() ?? "unknown cpu"} x${cpu.length}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`;
}

/** Runs `fn` repeatedly for at least `minMs` and returns operations per second. */
export async function opsPerSecond(fn: () => unknown | Promise<unknown>, minMs = 1000, batch = 1): Promise<number> {
  for (let i = 0; i < 3; i++) await fn();
  let ops = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (let i = 0; i < batch; i++) await fn();
    ops += batch;
    elapsed = performance.now() - start;
  }
  return (ops / elapsed) * 1000;
}

/** Percentile (0..100) of a list of numbers. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

export function complete(figure: BenchFigure, at: Date, machineName: string): BenchResult {
  return { ...figure, ratio: figure.value / figure.baselineValue, machine: machineName, at: at.toISOString() };
}

// Per-run latency of a small script over a 100-item input on a warm pool, against isolated-vm's own
// floor in this process (fresh context on a warm isolate, precompiled script, same copy in and out)
// and against a fresh isolate per run; and throughput as the pool grows to the core count.
import { availableParallelism } from "node:os";
import ivm from "isolated-vm";
import { type BenchEntry, type BenchFigure, percentile } from "../../../bench/harness.ts";
import { SandboxPool } from "../src/index.ts";

const BODY = "return input.items.filter((x) => x.severity >= 3).map((x) => ({ id: x.id, host: x.host }));";
const input = {
  items: Array.from({ length: 100 }, (_, i) => ({
    id: i,
    host: `host-${i}.example.net`,
    severity: i % 5,
    tags: ["a", "b"],
  })),
};
const ITERATIONS = 2_000;

async function latencies(iterations: number, once: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 100; i++) await once();
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const start = performance.now();
    await once();
    samples.push((performance.now() - start) * 1000);
  }
  return samples;
}

/** isolated-vm alone: a fresh context on a warm isolate, the script compiled once, input copied in, JSON out. */
async function floorRun(isolate: ivm.Isolate, script: ivm.Script): Promise<unknown> {
  const context = await isolate.createContext();
  await context.global.set("input", new ivm.ExternalCopy(input).copyInto({ release: true }));
  const json = (await script.run(context, { promise: true, timeout: 10_000 })) as string;
  context.release();
  return JSON.parse(json);
}

async function freshIsolateRun(): Promise<unknown> {
  const isolate = new ivm.Isolate({ memoryLimit: 64 });
  try {
    const script = await isolate.compileScript(`(async function () {\n${BODY}\n})().then(JSON.stringify)`);
    return await floorRun(isolate, script);
  } finally {
    isolate.dispose();
  }
}

async function throughput(size: number, durationMs: number): Promise<number> {
  const pool = new SandboxPool({ size });
  try {
    const worker = async (until: number) => {
      let runs = 0;
      while (performance.now() < until) {
        await pool.run(BODY, { globals: { input } });
        runs++;
      }
      return runs;
    };
    await Promise.all(Array.from({ length: size }, () => worker(performance.now() + 200)));
    const start = performance.now();
    const counts = await Promise.all(Array.from({ length: size }, () => worker(start + durationMs)));
    return (counts.reduce((a, b) => a + b, 0) / (performance.now() - start)) * 1000;
  } finally {
    pool.dispose();
  }
}

const entry: BenchEntry = {
  name: "sandbox",
  async run(): Promise<BenchFigure[]> {
    const isolate = new ivm.Isolate({ memoryLimit: 64 });
    const script = await isolate.compileScript(`(async function () {\n${BODY}\n})().then(JSON.stringify)`);
    const floor = await latencies(ITERATIONS, () => floorRun(isolate, script));
    isolate.dispose();

    const pool = new SandboxPool({ size: 1 });
    const pooled = await latencies(ITERATIONS, () => pool.run(BODY, { globals: { input } }));
    pool.dispose();

    const fresh = await latencies(ITERATIONS / 10, freshIsolateRun);

    const cores = availableParallelism();
    const single = await throughput(1, 1_500);
    const full = await throughput(cores, 1_500);

    const p50 = percentile(pooled, 50);
    const p99 = percentile(pooled, 99);
    return [
      {
        name: "sandbox run p50, warm pool, 100 items",
        value: p50,
        unit: "µs",
        baseline: "isolated-vm floor p50 (fresh context, warm isolate, precompiled)",
        baselineValue: percentile(floor, 50),
      },
      {
        name: "sandbox run p99, warm pool, 100 items",
        value: p99,
        unit: "µs",
        baseline: "isolated-vm floor p99 (fresh context, warm isolate, precompiled)",
        baselineValue: percentile(floor, 99),
      },
      {
        name: "sandbox run p50, warm pool vs fresh isolate per run",
        value: p50,
        unit: "µs",
        baseline: "fresh isolate per run p50",
        baselineValue: percentile(fresh, 50),
      },
      {
        name: `sandbox throughput, pool size ${cores} (cores)`,
        value: full,
        unit: "runs/s",
        baseline: "pool size 1",
        baselineValue: single,
      },
    ];
  },
};

export default entry;

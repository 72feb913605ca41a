// Kernel scheduling overhead: a 1,000-node chain and a 1,000-wide fan-out/fan-in of no-op nodes,
// against calling four no-op async functions per node directly (the floor any lifecycle costs).
import type { BenchEntry, BenchFigure } from "../../../bench/harness.ts";
import { StrategyRegistry, type WorkflowDefinition, WorkflowEngine } from "../src/index.ts";

const N = 1000;

const noop = {
  async preprocess() {},
  async execute() {
    return null;
  },
  async postprocess() {
    return { output: null };
  },
  async finalize() {},
};

function chain(): WorkflowDefinition {
  const nodes: WorkflowDefinition["nodes"] = [{ id: "start", type: "trigger.manual", data: {} }];
  const edges: WorkflowDefinition["edges"] = [];
  for (let i = 0; i < N - 1; i++) {
    nodes.push({ id: `n${i}`, type: "bench.noop", data: {} });
    edges.push({ id: `e${i}`, source: i === 0 ? "start" : `n${i - 1}`, target: `n${i}` });
  }
  return { name: "chain", nodes, edges };
}

function fan(): WorkflowDefinition {
  const nodes: WorkflowDefinition["nodes"] = [
    { id: "start", type: "trigger.manual", data: {} },
    { id: "join", type: "bench.noop", data: {} },
  ];
  const edges: WorkflowDefinition["edges"] = [];
  for (let i = 0; i < N - 2; i++) {
    nodes.push({ id: `n${i}`, type: "bench.noop", data: {} });
    edges.push({ id: `out${i}`, source: "start", target: `n${i}` });
    edges.push({ id: `in${i}`, source: `n${i}`, target: "join" });
  }
  return { name: "fan", nodes, edges, settings: { concurrency: 64 } };
}

async function direct(): Promise<void> {
  for (let i = 0; i < N; i++) {
    await noop.preprocess();
    await noop.execute();
    await noop.postprocess();
    await noop.finalize();
  }
}

/** Node attempts per second over `minMs`, running whole workflows back to back. */
async function attemptsPerSecond(run: () => Promise<unknown>, minMs = 1500): Promise<number> {
  for (let i = 0; i < 5; i++) await run();
  let runs = 0;
  const start = performance.now();
  while (performance.now() - start < minMs) {
    await run();
    runs++;
  }
  return (runs * N * 1000) / (performance.now() - start);
}

const entry: BenchEntry = {
  name: "kernel",
  async run() {
    const registry = new StrategyRegistry();
    registry.register({ type: "bench.noop", version: 1, category: "action", ports: ["default"] }, noop);
    const engine = new WorkflowEngine({ registry });
    const baseline = await attemptsPerSecond(direct);
    const figures: BenchFigure[] = [];
    for (const [label, definition] of [
      ["1,000-node chain", chain()],
      ["1,000-wide fan-out/fan-in", fan()],
    ] as const) {
      let i = 0;
      const value = await attemptsPerSecond(() =>
        engine.execute(definition, engine.createRun({ runId: `r${i++}`, workflowId: "bench", definition })),
      );
      const overheadUs = (1 / value - 1 / baseline) * 1e6;
      process.stderr.write(`kernel: ${label}: ${overheadUs.toFixed(2)} µs overhead per node attempt\n`);
      figures.push({
        name: `${label}: node attempts per second`,
        value,
        unit: "attempts/s",
        baseline: "4 no-op async calls per node, direct",
        baselineValue: baseline,
      });
      figures.push({
        name: `${label}: kernel overhead per node attempt`,
        value: overheadUs,
        unit: "µs",
        baseline: "target 10 µs",
        baselineValue: 10,
      });
    }
    return figures;
  },
};
export default entry;

// Serialising a run state for a checkpoint: JSON text (what goes into a jsonb column) against
// structuredClone of the same object, the in-process deep copy floor.
import { type BenchEntry, opsPerSecond } from "./harness.ts";

function runState(nodes: number) {
  const state: Record<string, unknown> = {};
  for (let i = 0; i < nodes; i++) {
    state[`n${i}`] = {
      status: "succeeded",
      attempts: 1,
      port: "default",
      output: { index: i, ok: true, tags: ["a", "b"] },
    };
  }
  return { runId: "r1", nodes: state, vars: { severity: "high" } };
}

const entry: BenchEntry = {
  name: "checkpoint-serialization",
  async run() {
    const state = runState(1000);
    const json = await opsPerSecond(() => JSON.parse(JSON.stringify(state)), 1000);
    const clone = await opsPerSecond(() => structuredClone(state), 1000);
    return [
      {
        name: "run state (1,000 nodes) JSON round trip",
        value: json,
        unit: "ops/s",
        baseline: "structuredClone of the same state",
        baselineValue: clone,
      },
    ];
  },
};
export default entry;

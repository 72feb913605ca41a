// The end of an `execute` call: the run's status from how it stopped (cancelled, failed, paused,
// waiting, succeeded), its output, and the runSuspended/runFinished events.
import type { Json, NodeState, RunState } from "./contracts.ts";
import { WeftError } from "./errors.ts";
import type { WorkflowGraph } from "./graph.ts";
import type { RunClock } from "./run-clock.ts";
import type { RunEvents } from "./run-events.ts";
import type { RunStop } from "./run-stop.ts";

/** What finishing a run reads and notifies. */
export interface FinishingRun {
  graph: WorkflowGraph;
  state: RunState;
  stop: RunStop;
  events: RunEvents;
  clock: RunClock;
}

/** Sets the run's final status (or `paused`/`waiting`) once nothing more runs in this call. Internal to the kernel. */
export async function finishRun(run: FinishingRun): Promise<void> {
  const { graph, state, stop, events } = run;
  const lists = events.lists;
  const close = (status: "cancelled") => {
    for (const node of graph.nodes) {
      const ns = state.nodes[node.id] as NodeState;
      if (ns.status === "pending" || ns.status === "running" || ns.status === "waiting") ns.status = status;
    }
  };
  if (stop.cancelled !== undefined) {
    close("cancelled");
    state.status = "cancelled";
    state.error = stop.cancelled.toJSON();
  } else if (stop.failure !== undefined) {
    close("cancelled");
    state.status = "failed";
    state.error = stop.failure;
  } else if (stop.paused) {
    state.status = "paused";
  } else {
    const waiting: string[] = [];
    let unfinished = false;
    const output: Record<string, Json> = {};
    for (const node of graph.nodes) {
      const ns = state.nodes[node.id] as NodeState;
      if (ns.status === "waiting") waiting.push(node.id);
      else if (ns.status === "pending" || ns.status === "running") unfinished = true;
      else if (ns.status === "succeeded" && node.out.length === 0) output[node.id] = ns.output ?? null;
    }
    if (waiting.length > 0) {
      state.status = "waiting";
      if (lists.runSuspended.length > 0)
        await events.notify(lists.runSuspended, { runId: state.runId, waiting, state });
      return;
    }
    if (unfinished) {
      close("cancelled");
      state.status = "failed";
      state.error = new WeftError("WEFT_E_INTERNAL", "The run stopped with nodes that can never become ready", {
        runId: state.runId,
      }).toJSON();
    } else {
      state.status = "succeeded";
      state.output = output;
    }
  }
  if (state.status === "paused") return;
  state.finishedAt = run.clock.iso();
  if (lists.runFinished.length > 0) {
    await events.notify(lists.runFinished, { runId: state.runId, status: state.status, state });
  }
  if (stop.fatal) throw stop.fatal.error;
}

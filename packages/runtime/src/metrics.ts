// Prometheus metrics of the runtime (prom-client), one registry per runtime so tests and several
// runtimes in one process never share counters.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** The runtime's metric instruments. */
export interface RuntimeMetrics {
  registry: Registry;
  runsStarted: Counter<"transport">;
  runsFinished: Counter<"status">;
  runsSuspended: Counter<"kind">;
  runDuration: Histogram<"status">;
  steps: Counter<"node_type" | "status">;
  stepDuration: Histogram<"node_type">;
  runsInFlight: Gauge;
  jobsProcessed: Counter<"kind" | "result">;
  leaseLost: Counter;
  leaseBusy: Counter;
  queueDepth: Gauge<"state">;
  checkpointBatch: Histogram;
}

/** Creates the `weft_*` metrics. `queueDepth` is collected on scrape by `depth()`. */
export function createMetrics(options: {
  depth?: () => Promise<Record<string, number>>;
  defaultMetrics?: boolean;
  labels?: Record<string, string>;
}): RuntimeMetrics {
  const registry = new Registry();
  if (options.labels) registry.setDefaultLabels(options.labels);
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: "weft_process_" });
  const registers = [registry];
  const depth = options.depth;
  return {
    registry,
    runsStarted: new Counter({
      name: "weft_runs_started_total",
      help: "Runs that started executing (first time, not resumes).",
      labelNames: ["transport"],
      registers,
    }),
    runsFinished: new Counter({
      name: "weft_runs_finished_total",
      help: "Runs that reached a terminal status.",
      labelNames: ["status"],
      registers,
    }),
    runsSuspended: new Counter({
      name: "weft_runs_suspended_total",
      help: "Times a run suspended (waiting for an approval, a delay, a webhook).",
      labelNames: ["kind"],
      registers,
    }),
    runDuration: new Histogram({
      name: "weft_run_duration_seconds",
      help: "Wall time from a run's start to its terminal status.",
      labelNames: ["status"],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 1800, 3600],
      registers,
    }),
    steps: new Counter({
      name: "weft_steps_total",
      help: "Node attempts finished, by node type and outcome.",
      labelNames: ["node_type", "status"],
      registers,
    }),
    stepDuration: new Histogram({
      name: "weft_step_duration_seconds",
      help: "Wall time of one node attempt (all four phases).",
      labelNames: ["node_type"],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120],
      registers,
    }),
    runsInFlight: new Gauge({
      name: "weft_runs_in_flight",
      help: "Runs executing in this process right now.",
      registers,
    }),
    jobsProcessed: new Counter({
      name: "weft_jobs_processed_total",
      help: "Queue jobs handled by this process, by kind (start, resume, delay, continue) and result.",
      labelNames: ["kind", "result"],
      registers,
    }),
    leaseLost: new Counter({
      name: "weft_run_lease_lost_total",
      help: "Executions stopped because another worker took the run over.",
      registers,
    }),
    leaseBusy: new Counter({
      name: "weft_run_lease_busy_total",
      help: "Jobs postponed because another worker held the run's lease.",
      registers,
    }),
    checkpointBatch: new Histogram({
      name: "weft_checkpoint_batch_size",
      help: "Checkpoints written per database statement (group commit); grows with concurrent runs.",
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers,
    }),
    queueDepth: new Gauge({
      name: "weft_queue_depth",
      help: "Jobs in the run queue, by state (waiting, active, delayed).",
      labelNames: ["state"],
      registers,
      async collect() {
        if (!depth) return;
        try {
          const counts = await depth();
          this.reset();
          for (const [state, value] of Object.entries(counts)) this.set({ state }, value);
        } catch {
          // The queue's backend is unreachable; /readyz says so, the scrape still succeeds.
        }
      },
    }),
  };
}

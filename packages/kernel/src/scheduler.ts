// One `execute` call of one run: the ready queue and the concurrency limit, over the parts that
// resolve edges (resolution.ts), run and retry attempts (node-attempts.ts), stop early
// (run-stop.ts), deliver events (run-events.ts) and finish the run (run-finish.ts).
import type { DependencyContainer } from "tsyringe";
import type { CredentialResolver } from "./context.ts";
import type { NodeState, RunState } from "./contracts.ts";
import type { GraphNode, WorkflowGraph } from "./graph.ts";
import { NodeAttempts } from "./node-attempts.ts";
import type { StrategyRegistry } from "./registry.ts";
import { EdgeResolver } from "./resolution.ts";
import { RunClock } from "./run-clock.ts";
import { RunEvents, type SubscriberLists } from "./run-events.ts";
import { finishRun } from "./run-finish.ts";
import { RunStop } from "./run-stop.ts";
import { RunView } from "./run-view.ts";

/** What the engine hands every run. */
export interface SchedulerSettings {
  registry: StrategyRegistry;
  concurrency: number;
  subscribers: SubscriberLists;
  now: () => Date;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  random: () => number;
  /** How long an aborted attempt gets to return before it is abandoned. */
  abortGraceMs: number;
  credentials: CredentialResolver | undefined;
  services: ((container: DependencyContainer) => void) | undefined;
}

interface ExecuteControls {
  signal?: AbortSignal;
  shouldPause?: () => boolean;
}

const noop = () => {};

/** Drives one run for one `execute` call. Internal to the kernel. */
export class RunScheduler {
  readonly #graph: WorkflowGraph;
  readonly #state: RunState;
  readonly #controls: ExecuteControls;
  readonly #limit: number;
  readonly #ready: GraphNode[] = [];
  #head = 0;
  #inFlight = 0;
  readonly #stop: RunStop;
  readonly #events: RunEvents;
  readonly #clock: RunClock;
  readonly #resolver: EdgeResolver;
  readonly #attempts: NodeAttempts;
  #idle: () => void = noop;

  constructor(
    graph: WorkflowGraph,
    state: RunState,
    settings: SchedulerSettings,
    controls: ExecuteControls,
    concurrency: number,
  ) {
    this.#graph = graph;
    this.#state = state;
    this.#controls = controls;
    this.#limit = Math.max(1, concurrency);
    const stop = new RunStop(state.runId);
    const events = new RunEvents(settings.subscribers, state, stop);
    const view = new RunView(graph, state);
    const clock = new RunClock(settings.now);
    const resolver = new EdgeResolver(graph, state, view, clock, stop);
    this.#stop = stop;
    this.#events = events;
    this.#clock = clock;
    this.#resolver = resolver;
    this.#attempts = new NodeAttempts({
      state,
      settings,
      shouldPause: controls.shouldPause,
      stop,
      events,
      view,
      clock,
      resolver,
      enqueue: (nodes) => this.#enqueue(nodes),
    });
  }

  /** Runs until nothing more can happen in this call; returns the (mutated) state. */
  async run(fresh: boolean): Promise<RunState> {
    const state = this.#state;
    const stop = this.#stop;
    const events = this.#events;
    state.status = "running";
    delete state.error;
    delete state.finishedAt;
    const signal = this.#controls.signal;
    const onAbort = () => stop.cancel(signal?.reason);
    try {
      if (fresh && events.lists.runStarted.length > 0) {
        await events.notify(events.lists.runStarted, { runId: state.runId, state });
      }
      if (signal?.aborted) stop.cancel(signal.reason);
      else signal?.addEventListener("abort", onAbort, { once: true });
      if (stop.cancelled === undefined) {
        const resolution = await this.#resolver.reconcile();
        await events.skipped(resolution.skipped);
        this.#enqueue(resolution.ready);
      }
      const idle = new Promise<void>((resolve) => {
        this.#idle = resolve;
      });
      this.#fill();
      await idle;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
    await events.delivered();
    if (stop.fatal) throw stop.fatal.error;
    await finishRun({ graph: this.#graph, state, stop, events, clock: this.#clock });
    return state;
  }

  #fill(): void {
    const stop = this.#stop;
    while (this.#inFlight < this.#limit && this.#head < this.#ready.length) {
      if (stop.cancelled || stop.failure || stop.fatal || stop.paused) break;
      if (this.#controls.shouldPause?.() === true) {
        stop.paused = true;
        break;
      }
      const node = this.#ready[this.#head++] as GraphNode;
      const ns = this.#state.nodes[node.id] as NodeState;
      if (ns.status !== "pending") continue;
      this.#inFlight++;
      this.#attempts.run(node, ns).then(this.#taskDone, this.#taskFailed);
    }
    if (this.#head === this.#ready.length && this.#head > 0) {
      this.#ready.length = 0;
      this.#head = 0;
    }
    if (this.#inFlight === 0) this.#idle();
  }

  readonly #taskDone = (): void => {
    this.#inFlight--;
    this.#fill();
  };

  // Only a subscriber can make a node task reject: stop everything and rethrow from `run`.
  readonly #taskFailed = (error: unknown): void => {
    this.#stop.subscriberFailed(error);
    this.#inFlight--;
    this.#fill();
  };

  #enqueue(nodes: GraphNode[]): void {
    for (const node of nodes) this.#ready.push(node);
  }
}

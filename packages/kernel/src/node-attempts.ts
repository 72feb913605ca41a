// A node's attempts: each one in its own context, then either a retry after the policy's backoff or
// the final outcome settled on the node. A retry backoff ends early when the run stops.
import { outcomeOfError, runAttemptPhases, runFinalize } from "./attempt.ts";
import { AttemptContext, AttemptLogger, NodeCredentials, RunServices } from "./context.ts";
import type { AttemptOutcome, Json, NodeState, RunState } from "./contracts.ts";
import { resolveTemplates } from "./expressions.ts";
import type { GraphNode } from "./graph.ts";
import type { EdgeResolver } from "./resolution.ts";
import { retryDelay, shouldRetry } from "./retry.ts";
import type { RunClock } from "./run-clock.ts";
import type { AttemptRecord, RunEvents } from "./run-events.ts";
import type { RunStop } from "./run-stop.ts";
import type { RunView } from "./run-view.ts";
import type { SchedulerSettings } from "./scheduler.ts";

/** What the attempt loop works with: the run's parts, shared with the scheduler. */
export interface NodeAttemptsOptions {
  state: RunState;
  settings: SchedulerSettings;
  shouldPause: (() => boolean) | undefined;
  stop: RunStop;
  events: RunEvents;
  view: RunView;
  clock: RunClock;
  resolver: EdgeResolver;
  /** Queues the nodes a settled node made ready. */
  enqueue: (nodes: GraphNode[]) => void;
}

const EMPTY_INPUTS: Readonly<Record<string, Json>> = Object.freeze({});

/** Runs nodes' attempts for one run. Internal to the kernel. */
export class NodeAttempts {
  readonly #state: RunState;
  readonly #settings: SchedulerSettings;
  readonly #shouldPause: (() => boolean) | undefined;
  readonly #stop: RunStop;
  readonly #events: RunEvents;
  readonly #view: RunView;
  readonly #clock: RunClock;
  readonly #resolver: EdgeResolver;
  readonly #enqueue: (nodes: GraphNode[]) => void;
  readonly #services: RunServices;

  constructor(options: NodeAttemptsOptions) {
    this.#state = options.state;
    this.#settings = options.settings;
    this.#shouldPause = options.shouldPause;
    this.#stop = options.stop;
    this.#events = options.events;
    this.#view = options.view;
    this.#clock = options.clock;
    this.#resolver = options.resolver;
    this.#enqueue = options.enqueue;
    const settings = options.settings;
    this.#services = new RunServices(() => {
      const container = settings.registry.createRunContainer();
      settings.services?.(container);
      return container;
    });
  }

  /** Attempts the node until it settles, the run stops, or a pause is asked for before a retry. */
  async run(node: GraphNode, ns: NodeState): Promise<void> {
    const stop = this.#stop;
    for (;;) {
      const record = await this.#attempt(node, ns);
      let outcome = record.outcome;
      if (outcome.status === "cancelled" && stop.cancelled === undefined) {
        // The strategy threw a cancellation of its own: that is a failure, not a run cancel.
        outcome = {
          status: "failed",
          error: { code: "WEFT_E_CANCELLED", message: "The node cancelled itself", retryable: false, nodeId: node.id },
        };
        record.outcome = outcome;
      }
      if (
        outcome.status === "failed" &&
        node.retry !== undefined &&
        shouldRetry(node.retry, ns.attempts, outcome.error) &&
        !stop.stopping()
      ) {
        const delay = retryDelay(node.retry, ns.attempts, outcome.error, this.#settings.random);
        ns.error = outcome.error;
        await this.#events.attemptFinished(node, record, delay);
        if (this.#shouldPause?.() === true) {
          stop.paused = true;
          ns.status = "pending";
          this.#view.touch(node, ns);
          return;
        }
        try {
          await this.#settings.sleep(delay, stop.stopSignal);
        } catch {
          // Backoff ended by cancel or run failure: the node is closed when the run finishes.
        }
        if (stop.stopping()) return;
        continue;
      }
      let resolution = this.#resolver.settle(node, ns, outcome, record.finishedAt);
      if (resolution instanceof Promise) resolution = await resolution;
      await this.#events.attemptFinished(node, record, undefined);
      await this.#events.skipped(resolution.skipped);
      this.#enqueue(resolution.ready);
      return;
    }
  }

  async #attempt(node: GraphNode, ns: NodeState): Promise<AttemptRecord> {
    const state = this.#state;
    const events = this.#events;
    const attempt = ++ns.attempts;
    const startedAt = this.#clock.iso();
    ns.status = "running";
    ns.startedAt ??= startedAt;
    this.#view.touch(node, ns);
    if (events.lists.nodeStarted.length > 0) {
      await events.notify(events.lists.nodeStarted, {
        runId: state.runId,
        nodeId: node.id,
        nodeType: node.node.type,
        attempt,
        state,
      });
    }
    const site = { runId: state.runId, nodeId: node.id, plugin: node.plugin };
    const cancelSignal = this.#stop.cancelSignal;
    let controller: AbortController | undefined;
    let signal = cancelSignal;
    if (node.timeoutMs !== undefined) {
      controller = new AbortController();
      signal = controller.signal;
      if (cancelSignal.aborted) controller.abort(cancelSignal.reason);
    }
    let config: unknown = node.config;
    let outcome: AttemptOutcome | undefined;
    if (node.templated) {
      try {
        config = await resolveTemplates(node.config, this.#view.scope());
      } catch (error) {
        outcome = outcomeOfError(error, site);
      }
    }
    const logger = new AttemptLogger(this.#settings.now);
    const ctx = new AttemptContext({
      runId: state.runId,
      workflowId: state.workflowId,
      nodeId: node.id,
      nodeType: node.node.type,
      attempt,
      config,
      input: state.input,
      inputs: this.#inputsOf(node),
      signal,
      logger,
      resume: ns.resume,
      credentials: new NodeCredentials(state.runId, node.id, node.credential, this.#settings.credentials),
      services: this.#services,
    });
    // The node's concurrency slot is held until this returns: until the phases returned, or their
    // grace period after an abort ran out.
    outcome ??= await runAttemptPhases(node.strategy, ctx, site, this.#stop.hooks, {
      timeoutMs: node.timeoutMs,
      graceMs: this.#settings.abortGraceMs,
      controller,
    });
    if (node.strategy.finalize !== undefined) {
      const finalizeError = await runFinalize(node.strategy, ctx, outcome, site);
      if (finalizeError !== undefined) {
        logger.error(`finalize failed: ${finalizeError.message}`, { code: finalizeError.code });
        if (events.lists.finalizeFailed.length > 0) {
          await events.notify(events.lists.finalizeFailed, {
            runId: state.runId,
            nodeId: node.id,
            attempt,
            error: finalizeError,
          });
        }
      }
    }
    logger.close();
    return {
      attempt,
      outcome,
      config,
      logs: logger.entries,
      startedAt,
      finishedAt: this.#clock.iso(),
    };
  }

  #inputsOf(node: GraphNode): Readonly<Record<string, Json>> {
    if (node.in.length === 0) return EMPTY_INPUTS;
    const inputs: Record<string, Json> = {};
    for (const edge of node.in) {
      const source = this.#state.nodes[edge.source.id] as NodeState;
      if (source.status === "succeeded") inputs[edge.source.id] = source.output ?? null;
    }
    return inputs;
  }
}

// The run's events to its subscribers, serialised through one promise chain so checkpoints reach
// each subscriber in the order they happened.
import type { AttemptFinishedEvent, AttemptOutcome, Json, LogEntry, RunState, RunSubscriber } from "./contracts.ts";
import type { GraphNode } from "./graph.ts";
import type { RunStop } from "./run-stop.ts";

type Listener<K extends keyof RunSubscriber> = (event: Parameters<NonNullable<RunSubscriber[K]>>[0]) => unknown;

/** The subscribers' methods, grouped per event so an event nobody listens to costs nothing. */
export type SubscriberLists = { [K in keyof RunSubscriber]-?: Listener<K>[] };

const EVENTS = [
  "runStarted",
  "nodeStarted",
  "attemptFinished",
  "nodeSkipped",
  "finalizeFailed",
  "runSuspended",
  "runFinished",
] as const satisfies readonly (keyof RunSubscriber)[];

/** Groups subscriber methods per event, keeping each bound to its subscriber. */
export function subscriberLists(subscribers: RunSubscriber[]): SubscriberLists {
  const lists = {} as Record<string, Listener<keyof RunSubscriber>[]>;
  for (const event of EVENTS) {
    lists[event] = subscribers
      .filter((s) => typeof s[event] === "function")
      .map((s) => (payload: unknown) => (s[event] as (p: unknown) => unknown).call(s, payload));
  }
  return lists as SubscriberLists;
}

/** What one attempt produced: the `attemptFinished` event without the run's state. */
export interface AttemptRecord {
  attempt: number;
  outcome: AttemptOutcome;
  config: unknown;
  logs: LogEntry[];
  startedAt: string;
  finishedAt: string;
}

const noop = () => {};

/** One run's event delivery. Internal to the kernel. */
export class RunEvents {
  readonly lists: SubscriberLists;
  readonly #state: RunState;
  readonly #stop: RunStop;
  #chain: Promise<void> = Promise.resolve();

  constructor(lists: SubscriberLists, state: RunState, stop: RunStop) {
    this.lists = lists;
    this.#state = state;
    this.#stop = stop;
  }

  notify<E>(listeners: ((event: E) => unknown)[], event: E): Promise<void> {
    const next = this.#chain.then(async () => {
      if (this.#stop.fatal !== undefined) return;
      for (const listener of listeners) await listener(event);
    });
    this.#chain = next.then(noop, noop);
    return next;
  }

  /** Settles once every event notified so far was delivered (or dropped after a subscriber failed). */
  delivered(): Promise<void> {
    return this.#chain;
  }

  attemptFinished(node: GraphNode, record: AttemptRecord, retryInMs: number | undefined): Promise<void> | undefined {
    if (this.lists.attemptFinished.length === 0) return undefined;
    const event: AttemptFinishedEvent = {
      runId: this.#state.runId,
      nodeId: node.id,
      nodeType: node.node.type,
      attempt: record.attempt,
      outcome: record.outcome,
      config: record.config as Json,
      logs: record.logs,
      startedAt: record.startedAt,
      finishedAt: record.finishedAt,
      state: this.#state,
    };
    if (retryInMs !== undefined) event.retryInMs = retryInMs;
    return this.notify(this.lists.attemptFinished, event);
  }

  async skipped(skipped: GraphNode[]): Promise<void> {
    if (skipped.length === 0 || this.lists.nodeSkipped.length === 0) return;
    for (const node of skipped) {
      await this.notify(this.lists.nodeSkipped, { runId: this.#state.runId, nodeId: node.id, state: this.#state });
    }
  }
}

// Run events for live views (SSE): delivered in-process, and across processes through Redis pub/sub
// when the bullmq transport is used (a worker executes, the API process streams).
import type { Redis } from "ioredis";

/** The event types, in the order a run produces them. */
export const RUN_EVENTS = [
  "run.started",
  "node.started",
  "node.finished",
  "node.skipped",
  "run.suspended",
  "run.finished",
] as const;

export type RunEventType = (typeof RUN_EVENTS)[number];

/** One live event of a run (plain JSON). */
export interface RunEvent {
  type: RunEventType;
  runId: string;
  nodeId?: string;
  attempt?: number;
  /** Run status (run.* events) or attempt status (node.finished). */
  status?: string;
  /** The attempt outcome of node.finished (output or error; never credentials). */
  outcome?: unknown;
  /** ISO-8601 time. */
  at: string;
}

export type RunEventListener = (event: RunEvent) => void;

/** Control messages sent to whichever process executes a run. */
export interface RunControlMessage {
  runId: string;
  command: "pause" | "cancel";
}

/** Fans run events out to listeners of this process, and (optionally) of every other process. */
export class RunEventBus {
  readonly #listeners = new Map<string, Set<RunEventListener>>();
  readonly #controlListeners = new Set<(message: RunControlMessage) => void>();
  #publisher: Redis | undefined;
  #subscriber: Redis | undefined;
  #eventsChannel = "";
  #controlChannel = "";

  /** Connects the bus to Redis: events and control messages are then published to every process. */
  async connect(redis: Redis, prefix: string): Promise<void> {
    this.#publisher = redis;
    this.#eventsChannel = `${prefix}:events`;
    this.#controlChannel = `${prefix}:control`;
    const subscriber = redis.duplicate();
    this.#subscriber = subscriber;
    subscriber.on("message", (channel: string, text: string) => {
      let message: unknown;
      try {
        message = JSON.parse(text);
      } catch {
        return;
      }
      if (channel === this.#eventsChannel) this.#deliver(message as RunEvent);
      else if (channel === this.#controlChannel)
        for (const listener of this.#controlListeners) listener(message as RunControlMessage);
    });
    await subscriber.subscribe(this.#eventsChannel, this.#controlChannel);
  }

  /** Publishes an event: to Redis when connected (which delivers it here too), else locally. */
  publish(event: RunEvent): void {
    if (this.#publisher) {
      // Fire and forget: a lost live event never changes a run; SSE clients re-read the run.
      this.#publisher.publish(this.#eventsChannel, JSON.stringify(event)).catch(() => {});
    } else this.#deliver(event);
  }

  /** Listens to one run's events (`"*"`: every run). Returns the unsubscribe function. */
  subscribe(runId: string, listener: RunEventListener): () => void {
    let set = this.#listeners.get(runId);
    if (!set) {
      set = new Set();
      this.#listeners.set(runId, set);
    }
    set.add(listener);
    return () => {
      const current = this.#listeners.get(runId);
      current?.delete(listener);
      if (current?.size === 0) this.#listeners.delete(runId);
    };
  }

  /** Sends a control message to every process (or only this one without Redis). */
  async sendControl(message: RunControlMessage): Promise<void> {
    if (this.#publisher) await this.#publisher.publish(this.#controlChannel, JSON.stringify(message));
    else for (const listener of this.#controlListeners) listener(message);
  }

  onControl(listener: (message: RunControlMessage) => void): () => void {
    this.#controlListeners.add(listener);
    return () => this.#controlListeners.delete(listener);
  }

  async close(): Promise<void> {
    const subscriber = this.#subscriber;
    this.#subscriber = undefined;
    this.#publisher = undefined;
    if (subscriber) await subscriber.quit().catch(() => subscriber.disconnect());
  }

  #deliver(event: RunEvent): void {
    for (const key of [event.runId, "*"]) {
      const set = this.#listeners.get(key);
      if (!set) continue;
      for (const listener of [...set]) {
        try {
          listener(event);
        } catch {
          // A failing listener (a closed SSE stream) must not break the run or the other listeners.
        }
      }
    }
  }
}

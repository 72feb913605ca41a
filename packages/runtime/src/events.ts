// Run events for live views (SSE): delivered in-process, and across processes through Redis pub/sub
// when the bullmq transport is used (a worker executes, the API process streams).
//
// A run makes a dozen events, so at hundreds of runs a second pub/sub is a real cost: events
// published in the same turn of the event loop travel as one message (a JSON array), and a process
// only subscribes to the events channel once something in it listens (a worker that nobody asks
// for live events never parses any). The subscription then stays, so later listeners miss nothing.
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
  #listening: Promise<unknown> | undefined;
  #outbox: RunEvent[] = [];

  /**
   * Connects the bus to Redis: events and control messages are then published to every process.
   * `publisher` (default `redis`) carries what this process publishes.
   */
  async connect(redis: Redis, prefix: string, publisher: Redis = redis): Promise<void> {
    this.#publisher = publisher;
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
      if (channel === this.#eventsChannel) {
        // One message carries the events of one turn of the publisher (a single event from older versions).
        if (Array.isArray(message)) for (const event of message) this.#deliver(event as RunEvent);
        else this.#deliver(message as RunEvent);
      } else if (channel === this.#controlChannel)
        for (const listener of this.#controlListeners) listener(message as RunControlMessage);
    });
    await subscriber.subscribe(this.#controlChannel);
    if (this.#listeners.size > 0) await this.#listen();
  }

  /** Publishes an event: to Redis when connected (which delivers it here too), else locally. */
  publish(event: RunEvent): void {
    if (!this.#publisher) {
      this.#deliver(event);
      return;
    }
    this.#outbox.push(event);
    if (this.#outbox.length === 1) setImmediate(() => this.#flush());
  }

  #flush(): void {
    const events = this.#outbox;
    this.#outbox = [];
    if (events.length === 0 || !this.#publisher) return;
    // Fire and forget: a lost live event never changes a run; SSE clients re-read the run.
    this.#publisher.publish(this.#eventsChannel, JSON.stringify(events)).catch(() => {});
  }

  #listen(): Promise<unknown> {
    this.#listening ??= (this.#subscriber?.subscribe(this.#eventsChannel) ?? Promise.resolve()).catch(() => {
      this.#listening = undefined;
    });
    return this.#listening;
  }

  /** Listens to one run's events (`"*"`: every run). Returns the unsubscribe function. */
  subscribe(runId: string, listener: RunEventListener): () => void {
    let set = this.#listeners.get(runId);
    if (!set) {
      set = new Set();
      this.#listeners.set(runId, set);
    }
    set.add(listener);
    if (this.#subscriber && !this.#listening) void this.#listen();
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
    this.#flush();
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

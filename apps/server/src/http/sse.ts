// Server-Sent Events over a Koa response: `event:`/`id:`/`data:` frames, a comment heartbeat so
// proxies keep the connection, and a close signal when the client goes away.
import { PassThrough } from "node:stream";
import type { Context } from "koa";

/** An open event stream. */
export interface EventStream {
  /** Writes one event; `data` is sent as one line of JSON. Returns false once the stream is closed. */
  send(event: string, data: unknown): boolean;
  /** Ends the stream (the client sees the connection close after the last event). */
  close(): void;
  readonly closed: boolean;
  /** Aborted when the client disconnects or `close()` is called. */
  readonly signal: AbortSignal;
}

/** Switches the response to `text/event-stream` and returns the stream to write to. */
export function openEventStream(ctx: Context, heartbeatMs = 15_000): EventStream {
  const stream = new PassThrough();
  const abort = new AbortController();
  let nextId = 1;
  let closed = false;

  ctx.req.socket.setTimeout(0);
  ctx.req.socket.setNoDelay(true);
  ctx.req.socket.setKeepAlive(true);
  ctx.status = 200;
  ctx.set({
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache, no-transform",
    Connection: "keep-alive",
    // nginx and similar proxies buffer responses unless told not to.
    "X-Accel-Buffering": "no",
  });
  ctx.body = stream;
  // Tell EventSource clients how long to wait before reconnecting.
  stream.write("retry: 2000\n\n");

  const heartbeat = setInterval(() => {
    if (!closed) stream.write(": keep-alive\n\n");
  }, heartbeatMs);
  heartbeat.unref();

  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    abort.abort();
    stream.end();
  };
  ctx.req.once("close", close);
  stream.once("error", close);

  return {
    send(event, data) {
      if (closed) return false;
      stream.write(`id: ${nextId++}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      return true;
    },
    close,
    get closed() {
      return closed;
    },
    signal: abort.signal,
  };
}

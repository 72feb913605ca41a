// The plumbing every fake SaaS needs (a real loopback server, request recording, scripted faults),
// so a plugin's fake holds only what makes its vendor peculiar: routes, auth and error shapes.
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";

/** A request as the fake received it, in arrival order on {@link FakeService.requests}. */
export interface RecordedRequest {
  method: string;
  /** The URL path without the query string. */
  path: string;
  /** Query parameters (the last value wins when a name repeats). */
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** The body after {@link FakeService.decodeBody} (parsed JSON by default). */
  body: unknown;
  /** The body exactly as sent. */
  raw: string;
}

/**
 * A scripted answer: the next `times` requests matching `method` (any when absent) and `path` get
 * it instead of reaching the routes. Faults are matched in the order they were injected.
 */
export interface FakeFault {
  method?: string;
  /** The exact path, or a pattern tested against it. */
  path: string | RegExp;
  /** Default 500. */
  status?: number;
  /** Merged over a `content-type` of {@link FakeService.faultContentType}. */
  headers?: Record<string, string>;
  /** Default empty. */
  body?: string;
  /** How many matching requests it answers (default 1). */
  times?: number;
  /** Never answer: the request stays open until the client gives up or the fake closes. */
  hang?: boolean;
}

/**
 * Base of a local stand-in for a SaaS API, listening on `127.0.0.1` with a free port. Extend it,
 * implement {@link FakeService.route}, and override the `answer*` hooks so errors carry the
 * vendor's body shape — a plugin's error mapping is only tested if the fake fails as the vendor does.
 *
 * Each request is read in full, decoded ({@link FakeService.decodeBody}), recorded, checked against
 * the injected faults and only then routed. A body that does not decode is answered by
 * {@link FakeService.answerMalformedBody} and not recorded; a route that throws is answered by
 * {@link FakeService.answerFailure}.
 *
 * @example
 * ```ts
 * class FakeAcme extends FakeService {
 *   protected route(request: RecordedRequest, res: ServerResponse) {
 *     if (request.method === "GET" && request.path === "/v1/hosts") return sendJson(res, 200, { hosts: [] });
 *     sendJson(res, 404, { code: "not_found" });
 *   }
 *   protected override answerFailure(res: ServerResponse, error: unknown) {
 *     sendJson(res, 500, { code: "internal", detail: String(error) });
 *   }
 * }
 * const fake = new FakeAcme();
 * const baseUrl = await fake.start();
 * fake.inject({ method: "GET", path: "/v1/hosts", status: 503, body: "<html>down</html>" });
 * // ... run the node against baseUrl, then:
 * expect(fake.calls("GET", "/v1/hosts")).toHaveLength(2);
 * await fake.close();
 * ```
 */
export abstract class FakeService {
  /** `http://127.0.0.1:<port>` once {@link FakeService.start} resolved, else `""`. */
  url = "";
  /** Every routed or faulted request, oldest first. */
  readonly requests: RecordedRequest[] = [];
  /** `content-type` of fault answers unless the fault sets its own. */
  protected faultContentType = "application/json";
  readonly #faults: FakeFault[] = [];
  #server: Server | undefined;

  /** Answers one request the fault queue did not take. `request.body` is already decoded. */
  protected abstract route(request: RecordedRequest, res: ServerResponse): void | Promise<void>;

  /**
   * Turns the raw body into `request.body`; throwing sends {@link FakeService.answerMalformedBody}.
   * Default: JSON, with an empty body as `undefined`.
   */
  protected decodeBody(raw: string, _headers: IncomingHttpHeaders): unknown {
    return raw ? JSON.parse(raw) : undefined;
  }

  /** The vendor's answer to a body {@link FakeService.decodeBody} refused. Default: 400 JSON. */
  protected answerMalformedBody(res: ServerResponse, error: unknown): void {
    sendJson(res, 400, { error: "Bad Request", message: error instanceof Error ? error.message : String(error) });
  }

  /** The vendor's answer when {@link FakeService.route} throws. Default: 500 JSON. */
  protected answerFailure(res: ServerResponse, error: unknown): void {
    sendJson(res, 500, { error: "Internal Server Error", message: String(error) });
  }

  /** Queues a scripted answer (or hang) for matching requests. */
  inject(fault: FakeFault): void {
    this.#faults.push({ times: 1, ...fault });
  }

  /** Recorded requests with this method whose path equals or matches `path`, oldest first. */
  calls(method: string, path: string | RegExp): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && matchesPath(path, r.path));
  }

  /** Listens on `127.0.0.1` with a free port; resolves to (and sets) {@link FakeService.url}. */
  async start(): Promise<string> {
    const server = createServer((req, res) => {
      void this.#receive(req, res).catch((error: unknown) => this.answerFailure(res, error));
    });
    this.#server = server;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    return this.url;
  }

  /** Stops listening and drops every connection, including requests left hanging by a fault. */
  async close(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async #receive(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://fake");
    const method = req.method ?? "GET";
    const raw = await readText(req);
    let body: unknown;
    try {
      body = this.decodeBody(raw, req.headers);
    } catch (error) {
      return this.answerMalformedBody(res, error);
    }
    const request: RecordedRequest = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body,
      raw,
    };
    this.requests.push(request);

    const fault = this.#takeFault(method, url.pathname);
    if (fault) {
      if (fault.hang) return; // left open on purpose; close() ends it
      res.writeHead(fault.status ?? 500, { "content-type": this.faultContentType, ...fault.headers });
      res.end(fault.body ?? "");
      return;
    }
    await this.route(request, res);
  }

  #takeFault(method: string, path: string): FakeFault | undefined {
    const index = this.#faults.findIndex((f) => (!f.method || f.method === method) && matchesPath(f.path, path));
    if (index < 0) return undefined;
    const fault = this.#faults[index]!;
    fault.times = (fault.times ?? 1) - 1;
    if (fault.times <= 0) this.#faults.splice(index, 1);
    return fault;
  }
}

/** Answers JSON, unless an answer was already started (e.g. by a route before it threw). */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  contentType = "application/json; charset=utf-8",
): void {
  sendText(res, status, JSON.stringify(body), contentType);
}

/** Answers text (plain by default; pass e.g. `"text/html"`), unless an answer was already started. */
export function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  contentType = "text/plain; charset=utf-8",
): void {
  if (res.headersSent) return;
  res.writeHead(status, { "content-type": contentType });
  res.end(text);
}

function matchesPath(pattern: string | RegExp, path: string): boolean {
  return typeof pattern === "string" ? pattern === path : pattern.test(path);
}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  // Decoded once, so a multi-byte character split across chunks survives.
  return Buffer.concat(chunks).toString("utf8");
}

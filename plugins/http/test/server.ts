// A real HTTP server on loopback for the plugin's tests: each route is a small handler, and every
// request is recorded so tests can assert what the node actually sent.
import type { ServerResponse } from "node:http";
import { FakeService, type RecordedRequest, sendJson } from "@weft/sdk/testing";

/** A request as the server saw it; the body is kept as the text that was sent. */
export interface SeenRequest extends RecordedRequest {
  body: string;
}

export type Route = (request: SeenRequest, response: ServerResponse) => void;

class RouteTable extends FakeService {
  readonly #routes: Record<string, Route>;

  constructor(routes: Record<string, Route>) {
    super();
    this.#routes = routes;
  }

  // The node under test sends any body; routes decide what to make of it.
  protected override decodeBody(raw: string): string {
    return raw;
  }

  protected route(request: RecordedRequest, res: ServerResponse) {
    const route = this.#routes[request.path];
    if (!route) return sendJson(res, 404, { error: "no such route" }, "application/json");
    route(request as SeenRequest, res);
  }
}

/** Starts a server on 127.0.0.1 with a free port. */
export async function startServer(routes: Record<string, Route>) {
  const table = new RouteTable(routes);
  await table.start();
  return {
    url: (path: string) => `${table.url}${path}`,
    seen: table.requests as SeenRequest[],
    close: () => table.close(),
  };
}

/** Answers JSON. */
export function json(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(value));
}

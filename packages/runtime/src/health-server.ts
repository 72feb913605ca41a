// The worker's small HTTP surface: liveness, readiness and Prometheus metrics. node:http is enough
// for three fixed GET routes; the API server (Koa) serves the same information for its process.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

export interface HealthServerOptions {
  port: number;
  host?: string;
  registry: Registry;
  /** Ready to take jobs: Redis and PostgreSQL reachable and not draining. Resolves to the reasons it is not. */
  readiness: () => Promise<string[]>;
  /** Facts shown by /healthz (worker id, version). */
  info: () => Record<string, unknown>;
}

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    const send = (status: number, body: string, type = "application/json") => {
      response.writeHead(status, { "content-type": type, "cache-control": "no-store" });
      response.end(body);
    };
    if (request.method !== "GET" && request.method !== "HEAD") {
      send(405, JSON.stringify({ code: "WEFT_E_METHOD_NOT_ALLOWED", message: "only GET is served here" }));
      return;
    }
    if (url.pathname === "/healthz") {
      send(200, JSON.stringify({ status: "ok", ...options.info() }));
    } else if (url.pathname === "/readyz") {
      options
        .readiness()
        .then((problems) =>
          send(
            problems.length === 0 ? 200 : 503,
            JSON.stringify({ status: problems.length ? "unready" : "ready", problems }),
          ),
        )
        .catch((error: unknown) => send(503, JSON.stringify({ status: "unready", problems: [String(error)] })));
    } else if (url.pathname === "/metrics") {
      options.registry
        .metrics()
        .then((text) => send(200, text, options.registry.contentType))
        .catch((error: unknown) => send(500, JSON.stringify({ code: "WEFT_E_INTERNAL", message: String(error) })));
    } else {
      send(404, JSON.stringify({ code: "WEFT_E_ROUTE_NOT_FOUND", message: `no route ${url.pathname}` }));
    }
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "0.0.0.0", () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

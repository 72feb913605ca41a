// HTTP metrics of the API process, served with the runtime's weft_* metrics on GET /metrics.
import { Counter, Histogram, Registry } from "prom-client";

/** The server's own Prometheus metrics. */
export interface HttpMetrics {
  registry: Registry;
  observe(method: string, route: string, status: number, seconds: number): void;
}

export function createHttpMetrics(): HttpMetrics {
  const registry = new Registry();
  const requests = new Counter({
    name: "weft_http_requests_total",
    help: "HTTP requests answered by the API, by method, route and status.",
    labelNames: ["method", "route", "status"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "weft_http_request_duration_seconds",
    help: "Time to answer an HTTP request (streams: until the handler returned).",
    labelNames: ["method", "route"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  return {
    registry,
    observe(method, route, status, seconds) {
      requests.inc({ method, route, status: String(status) });
      duration.observe({ method, route }, seconds);
    },
  };
}

/** Text exposition of several registries (the server's and the runtime's). */
export async function metricsText(registries: Registry[]): Promise<{ contentType: string; body: string }> {
  const parts = await Promise.all(registries.map((r) => r.metrics()));
  return {
    contentType: registries[0]?.contentType ?? "text/plain; version=0.0.4; charset=utf-8",
    body: parts.filter((p) => p.length > 0).join("\n"),
  };
}

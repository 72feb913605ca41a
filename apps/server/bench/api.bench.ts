// API throughput and tail latency (autocannon) of GET /api/workflows/:id and POST .../execute,
// each against a bare Koa route answering the same JSON in the same process.
import { randomBytes } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createRuntime, defaultPlugins, loadPlugins } from "@weft/runtime";
import { openStore } from "@weft/store";
import autocannon from "autocannon";
import Koa from "koa";
import { pino } from "pino";
import type { BenchEntry, BenchFigure } from "../../../bench/harness.ts";
import { startTestPostgres } from "../../../test/services.ts";
import { createServer } from "../src/server.ts";

const DURATION_S = Number(process.env.WEFT_BENCH_SECONDS ?? 5);
const CONNECTIONS = 10;

function load(url: string, options: { method?: "GET" | "POST"; headers?: Record<string, string>; body?: string }) {
  return autocannon({
    url,
    connections: CONNECTIONS,
    duration: DURATION_S,
    method: options.method ?? "GET",
    headers: options.headers ?? {},
    ...(options.body ? { body: options.body } : {}),
  });
}

const definition = {
  name: "Bench",
  nodes: [
    { id: "start", type: "trigger.manual", data: {} },
    { id: "done", type: "control.noop", data: { config: { value: { ok: true } } } },
  ],
  edges: [{ id: "e1", source: "start", target: "done" }],
};

const entry: BenchEntry = {
  name: "api",
  async run() {
    const pg = await startTestPostgres();
    const store = await openStore({
      databaseUrl: await pg.createDatabase("weft_bench_api"),
      encryptionKey: randomBytes(32).toString("hex"),
    });
    const catalog = await loadPlugins({ plugins: [...defaultPlugins] });
    const logger = pino({ level: "silent" });
    const runtime = await createRuntime({ store, catalog, transport: "inline", logger });
    await runtime.start();
    const server = createServer({ store, runtime, catalog, logger });
    const api = await server.listen(0, "127.0.0.1");
    const { key } = await store.apiKeys.create({ name: "bench", role: "admin" });
    const auth = { authorization: `Bearer ${key}`, "content-type": "application/json" };
    const created = await fetch(`${api.url}/api/workflows`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ definition }),
    }).then((r) => r.json() as Promise<{ id: string }>);
    await fetch(`${api.url}/api/workflows/${created.id}/publish`, { method: "POST", headers: auth, body: "{}" });
    const workflowBody = await fetch(`${api.url}/api/workflows/${created.id}`, { headers: auth }).then((r) => r.text());

    // The baseline: Koa answering the same bytes, no auth, no database.
    const bare = new Koa();
    bare.use(async (ctx) => {
      ctx.type = "application/json";
      ctx.body = ctx.method === "POST" ? JSON.stringify({ runId: created.id, status: "queued" }) : workflowBody;
      if (ctx.method === "POST") ctx.status = 202;
    });
    const bareServer: Server = bare.listen(0, "127.0.0.1");
    await new Promise((resolve) => bareServer.once("listening", resolve));
    const bareUrl = `http://127.0.0.1:${(bareServer.address() as AddressInfo).port}`;

    const figures: BenchFigure[] = [];
    try {
      const baseGet = await load(`${bareUrl}/api/workflows/${created.id}`, {});
      const get = await load(`${api.url}/api/workflows/${created.id}`, { headers: auth });
      const baseExec = await load(`${bareUrl}/api/workflows/${created.id}/execute`, { method: "POST", body: "{}" });
      const exec = await load(`${api.url}/api/workflows/${created.id}/execute`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({ input: { n: 1 } }),
      });
      for (const [label, measured, baseline] of [
        ["GET /api/workflows/:id", get, baseGet],
        ["POST /api/workflows/:id/execute", exec, baseExec],
      ] as const) {
        if (measured.non2xx > 0) throw new Error(`${label}: ${measured.non2xx} non-2xx answers`);
        figures.push(
          {
            name: `api ${label} throughput`,
            value: measured.requests.average,
            unit: "req/s",
            baseline: "bare Koa route, same JSON",
            baselineValue: baseline.requests.average,
          },
          {
            name: `api ${label} p99 latency`,
            value: measured.latency.p99,
            unit: "ms",
            // autocannon counts whole milliseconds: a bare route's p99 rounds to 0, so its mean stands in.
            baseline:
              baseline.latency.p99 > 0
                ? "bare Koa route, same JSON (p99)"
                : "bare Koa route, same JSON (mean; p99 < 1 ms)",
            baselineValue: baseline.latency.p99 > 0 ? baseline.latency.p99 : baseline.latency.average,
          },
        );
      }
    } finally {
      bareServer.close();
      await api.close();
      await server.close();
      await runtime.stop({ graceMs: 10_000 });
      await store.close();
      await pg.dispose();
    }
    return figures;
  },
};

export default entry;

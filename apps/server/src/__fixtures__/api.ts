// A real API for tests: a fresh PostgreSQL database, the first-party plugins, an inline runtime and
// a server listening on a free loopback port, with one API key per role.
import { randomBytes } from "node:crypto";
import { createRuntime, defaultPlugins, loadPlugins, type Runtime } from "@weft/runtime";
import { openStore, type Store } from "@weft/store";
import { pino } from "pino";
import { createTestDatabase } from "../../../../test/pg.ts";
import type { Role } from "../http/auth.ts";
import { createServer, ensureAdminKey, type ListeningServer, type WeftServer } from "../server.ts";
import webhookWaitPlugin from "./webhook-wait-plugin.ts";

export interface TestApi {
  url: string;
  store: Store;
  runtime: Runtime;
  server: WeftServer;
  listening: ListeningServer;
  keys: Record<Role, string>;
  /** fetch against the API with the key of `role` (or none). */
  call(
    method: string,
    path: string,
    options?: { role?: Role | "none"; key?: string; body?: unknown; raw?: string; headers?: Record<string, string> },
    // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies freely.
  ): Promise<{ status: number; body: any; headers: Headers }>;
  close(): Promise<void>;
}

export async function startTestApi(
  options: { bodyLimit?: number | string; adminApiKey?: string } = {},
): Promise<TestApi> {
  const databaseUrl = await createTestDatabase("api");
  const store = await openStore({ databaseUrl, encryptionKey: randomBytes(32).toString("hex") });
  const catalog = await loadPlugins({ plugins: [...defaultPlugins, webhookWaitPlugin] });
  const logger = pino({ level: "silent" });
  const runtime = await createRuntime({ store, catalog, transport: "inline", logger });
  await runtime.start();
  // What `weft start` does with WEFT_ADMIN_API_KEY.
  if (options.adminApiKey !== undefined) await ensureAdminKey(store, { WEFT_ADMIN_API_KEY: options.adminApiKey });
  const server = createServer({
    store,
    runtime,
    catalog,
    logger,
    ...(options.bodyLimit !== undefined ? { bodyLimit: options.bodyLimit } : {}),
  });
  const listening = await server.listen(0, "127.0.0.1");
  const keys = {} as Record<Role, string>;
  for (const role of ["viewer", "editor", "operator", "admin"] as const) {
    keys[role] = (await store.apiKeys.create({ name: `test ${role}`, role })).key;
  }
  const url = listening.url;
  return {
    url,
    store,
    runtime,
    server,
    listening,
    keys,
    async call(method, path, o = {}) {
      const headers: Record<string, string> = { ...o.headers };
      const key = o.key ?? (o.role === "none" ? undefined : keys[o.role ?? "admin"]);
      if (key) headers.authorization = `Bearer ${key}`;
      let body: string | undefined = o.raw;
      if (o.body !== undefined) {
        body = JSON.stringify(o.body);
        headers["content-type"] ??= "application/json";
      }
      const response = await fetch(`${url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
      const text = await response.text();
      let parsed: unknown = text;
      if ((response.headers.get("content-type") ?? "").includes("json") && text) parsed = JSON.parse(text);
      return { status: response.status, body: parsed, headers: response.headers };
    },
    async close() {
      await listening.close();
      await server.close();
      await runtime.stop({ graceMs: 1000 });
      await store.close();
    },
  };
}

// createServer: the API over a store, a runtime and a plugin catalog. `weft start` and the tests
// share it; it owns nothing it was given (closing the server leaves store and runtime open).
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type Koa from "koa";
import { type Logger, pino } from "pino";
import pkg from "../package.json" with { type: "json" };
import { buildApp } from "./app.ts";
import type { RouteContext } from "./context.ts";
import type { ServerCatalog, ServerRuntime, ServerStore } from "./deps.ts";
import type { KeyVerifier, Role } from "./http/auth.ts";
import type { AnyRoute } from "./http/route.ts";
import { createHttpMetrics } from "./metrics.ts";
import { openApiDocument } from "./openapi.ts";
import { approvalRoutes } from "./routes/approvals.ts";
import { credentialRoutes } from "./routes/credentials.ts";
import { healthRoutes } from "./routes/health.ts";
import { nodeTypeRoutes } from "./routes/node-types.ts";
import { runRoutes } from "./routes/runs.ts";
import { triggerRoutes } from "./routes/triggers.ts";
import { workflowRoutes } from "./routes/workflows.ts";

export interface ServerOptions {
  store: ServerStore;
  runtime: ServerRuntime;
  catalog: ServerCatalog;
  logger?: Logger;
  /** Largest accepted request body, bytes or "1mb" (default 1 MiB). */
  bodyLimit?: number | string;
  /** Accepted clock difference of webhook timestamps in seconds (default 300). */
  webhookToleranceSec?: number;
}

/** A listening server. */
export interface ListeningServer {
  url: string;
  port: number;
  server: Server;
  /** Stops accepting connections and ends open ones (event streams included). */
  close(): Promise<void>;
}

export interface WeftServer {
  app: Koa;
  routes: readonly AnyRoute[];
  /** The OpenAPI 3.1 document of the routes. */
  openapi(): Record<string, unknown>;
  listen(port?: number, host?: string): Promise<ListeningServer>;
  /** Ends the connections of every server `listen` opened (event streams included). */
  close(): Promise<void>;
}

/** The version of @weft/server. */
export const SERVER_VERSION: string = pkg.version;

/** Every route of the API, in the order the router matches them (and the OpenAPI document lists them). */
export function routeTable(context: RouteContext, openapi: () => unknown): AnyRoute[] {
  return [
    ...healthRoutes(context, openapi),
    ...nodeTypeRoutes(context),
    ...workflowRoutes(context),
    ...runRoutes(context),
    ...approvalRoutes(context),
    ...triggerRoutes(context),
    ...credentialRoutes(context),
  ];
}

/** Builds the API: routes, auth, error envelope, metrics. Call `listen` to serve it. */
export function createServer(options: ServerOptions): WeftServer {
  const logger = options.logger ?? pino({ level: process.env.WEFT_LOG_LEVEL ?? "info" });
  const metrics = createHttpMetrics();
  const verify = keyVerifier(options.store);
  const context: RouteContext = {
    store: options.store,
    runtime: options.runtime,
    catalog: options.catalog,
    logger,
    metrics,
    version: SERVER_VERSION,
    webhookToleranceSec: options.webhookToleranceSec ?? 300,
    forgetKeys: () => verify.forget(),
  };
  let document: Record<string, unknown> | undefined;
  const openapi = () => {
    document ??= openApiDocument(routes, { version: SERVER_VERSION });
    return document;
  };
  const routes = routeTable(context, openapi);
  const app = buildApp({
    routes,
    verify,
    logger,
    metrics,
    bodyLimit: options.bodyLimit ?? "1mb",
  });
  const servers = new Set<Server>();

  return {
    app,
    routes,
    openapi,
    async listen(port = 0, host = "127.0.0.1") {
      const server = app.listen(port, host);
      await new Promise<void>((resolve, reject) => {
        server.once("listening", resolve);
        server.once("error", reject);
      });
      servers.add(server);
      const address = server.address() as AddressInfo;
      const shown = host.includes(":") ? `[${host}]` : host;
      return {
        url: `http://${shown}:${address.port}`,
        port: address.port,
        server,
        close: async () => {
          servers.delete(server);
          await new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          });
        },
      };
    },
    async close() {
      for (const server of servers) server.closeAllConnections();
    },
  };
}

/** How long a verified key is trusted without asking the database again (revocation via this API is immediate). */
const KEY_CACHE_MS = 5_000;

function keyVerifier(store: ServerStore): KeyVerifier & { forget(): void } {
  const cache = new Map<string, { key: { id: string; name: string; role: Role }; until: number }>();
  const verify = async (plaintext: string) => {
    const now = Date.now();
    const cached = cache.get(plaintext);
    if (cached && cached.until > now) return cached.key;
    const key = await store.apiKeys.verify(plaintext);
    if (cache.size > 1000) cache.clear();
    if (key) cache.set(plaintext, { key: { id: key.id, name: key.name, role: key.role }, until: now + KEY_CACHE_MS });
    else cache.delete(plaintext);
    return key;
  };
  return Object.assign(verify, { forget: () => cache.clear() });
}

/** The name of the API key seeded from WEFT_ADMIN_API_KEY. */
export const ENV_ADMIN_KEY_NAME = "admin (WEFT_ADMIN_API_KEY)";

/** What {@link ensureAdminKey} found or did. */
export interface AdminKeyResult {
  /** A generated key's plaintext, to print once (absent unless `source` is "generated"). */
  key?: string;
  /** `env`: WEFT_ADMIN_API_KEY is stored (its hash); `existing`: an admin key exists; `generated`: one was created. */
  source: "env" | "existing" | "generated";
  /** With `env`: the stored key was revoked through the API and is refused until it is changed. */
  revoked?: boolean;
}

/**
 * Makes sure an admin can get in. With WEFT_ADMIN_API_KEY set, that key's hash is stored as an admin
 * key (idempotent: starting again with the same key writes nothing), and admin keys seeded from an
 * earlier value of the variable are revoked, so rotating it takes the old key out. Otherwise, when no
 * admin key exists yet, one is generated and returned for the caller to print once; only its hash is kept.
 */
export async function ensureAdminKey(
  store: Pick<ServerStore, "apiKeys" | "audit">,
  env: { WEFT_ADMIN_API_KEY?: string | undefined } = process.env,
): Promise<AdminKeyResult> {
  const configured = env.WEFT_ADMIN_API_KEY;
  if (configured) {
    const { record, created } = await store.apiKeys.create({
      name: ENV_ADMIN_KEY_NAME,
      role: "admin",
      key: configured,
    });
    if (created) {
      await store.audit.record({
        actor: "system",
        action: "apikey.create",
        target: { type: "apikey", id: record.id },
        after: { role: "admin", source: "WEFT_ADMIN_API_KEY" },
      });
    }
    for (const old of await store.apiKeys.list()) {
      if (old.name !== ENV_ADMIN_KEY_NAME || old.id === record.id || old.revokedAt) continue;
      await store.apiKeys.revoke(old.id);
      await store.audit.record({
        actor: "system",
        action: "apikey.revoke",
        target: { type: "apikey", id: old.id },
        before: { role: old.role, reason: "WEFT_ADMIN_API_KEY changed" },
      });
    }
    return { source: "env", ...(record.revokedAt ? { revoked: true } : {}) };
  }
  const keys = await store.apiKeys.list();
  if (keys.some((k) => k.role === "admin" && !k.revokedAt)) return { source: "existing" };
  const { key, record } = await store.apiKeys.create({ name: "admin (generated on first start)", role: "admin" });
  await store.audit.record({
    actor: "system",
    action: "apikey.create",
    target: { type: "apikey", id: record.id },
    after: { role: "admin" },
  });
  return { key, source: "generated" };
}

// createServer: the API over a store, a runtime and a plugin catalog. `weft start` and the tests
// share it; it owns nothing it was given (closing the server leaves store and runtime open).
import { timingSafeEqual } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type Koa from "koa";
import { type Logger, pino } from "pino";
import pkg from "../package.json" with { type: "json" };
import { buildApp } from "./app.ts";
import type { RouteContext } from "./context.ts";
import type { ServerCatalog, ServerRuntime, ServerStore } from "./deps.ts";
import { type DraftDefinitions, pgDraftDefinitions } from "./drafts.ts";
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
  store: ServerStore & { databaseUrl: string };
  runtime: ServerRuntime;
  catalog: ServerCatalog;
  logger?: Logger;
  /** Largest accepted request body, bytes or "1mb" (default 1 MiB). */
  bodyLimit?: number | string;
  /** Accepted clock difference of webhook timestamps in seconds (default 300). */
  webhookToleranceSec?: number;
  /** A key accepted as admin without being stored (default env WEFT_ADMIN_API_KEY). */
  adminApiKey?: string;
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
  /** Releases what the server opened itself (its draft table pool). */
  close(): Promise<void>;
}

/** The version of @weft/server. */
export const SERVER_VERSION: string = pkg.version;

/** Builds the API: routes, auth, error envelope, metrics. Call `listen` to serve it. */
export function createServer(options: ServerOptions): WeftServer {
  const logger = options.logger ?? pino({ level: process.env.WEFT_LOG_LEVEL ?? "info" });
  const metrics = createHttpMetrics();
  const drafts: DraftDefinitions = pgDraftDefinitions(options.store.databaseUrl);
  const verify = keyVerifier(options.store, options.adminApiKey ?? process.env.WEFT_ADMIN_API_KEY);
  const context: RouteContext = {
    store: options.store,
    runtime: options.runtime,
    catalog: options.catalog,
    drafts,
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
  const routes: AnyRoute[] = [
    ...healthRoutes(context, openapi),
    ...nodeTypeRoutes(context),
    ...workflowRoutes(context),
    ...runRoutes(context),
    ...approvalRoutes(context),
    ...triggerRoutes(context),
    ...credentialRoutes(context),
  ];
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
      await drafts.close();
    },
  };
}

/** How long a verified key is trusted without asking the database again (revocation via this API is immediate). */
const KEY_CACHE_MS = 5_000;

function keyVerifier(store: ServerStore, adminKey: string | undefined): KeyVerifier & { forget(): void } {
  const admin = adminKey ? Buffer.from(adminKey) : undefined;
  const cache = new Map<string, { key: { id: string; role: Role }; until: number }>();
  const verify = async (plaintext: string) => {
    if (admin) {
      const given = Buffer.from(plaintext);
      if (given.length === admin.length && timingSafeEqual(given, admin))
        return { id: "env-admin", role: "admin" as const };
    }
    const now = Date.now();
    const cached = cache.get(plaintext);
    if (cached && cached.until > now) return cached.key;
    const key = await store.apiKeys.verify(plaintext);
    if (cache.size > 1000) cache.clear();
    if (key) cache.set(plaintext, { key: { id: key.id, role: key.role }, until: now + KEY_CACHE_MS });
    else cache.delete(plaintext);
    return key;
  };
  return Object.assign(verify, { forget: () => cache.clear() });
}

/**
 * Makes sure an admin can get in. With WEFT_ADMIN_API_KEY set, that key is accepted as admin (it is
 * never stored). Otherwise, when no admin key exists yet, one is created and returned — the caller
 * prints it once; only its hash is kept.
 */
export async function ensureAdminKey(
  store: Pick<ServerStore, "apiKeys" | "audit">,
  env: { WEFT_ADMIN_API_KEY?: string | undefined } = process.env,
): Promise<{ key?: string; source: "env" | "existing" | "generated" }> {
  if (env.WEFT_ADMIN_API_KEY) return { source: "env" };
  const keys = (await store.apiKeys.list()) as { role: string; revokedAt: string | null }[];
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

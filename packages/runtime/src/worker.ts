// startWorker: a BullMQ worker process's insides (apps/worker and `weft worker` call it). It opens the
// store, loads plugins, runs a bullmq runtime with a worker, and serves /healthz, /readyz, /metrics.
// Signal handling stays with the caller, which decides when to call stop().
import path from "node:path";
import { openStore, type Store } from "@weft/store";
import pino from "pino";
import pkg from "../package.json" with { type: "json" };
import { intSetting } from "./env.ts";
import { RuntimeError } from "./errors.ts";
import { startHealthServer } from "./health-server.ts";
import { loadPlugins, pluginNamesFromEnvironment, pluginsFromEnvironment } from "./loader/index.ts";
import type { QueueSettings } from "./queue.ts";
import { createRuntime, defaultWorkerId, type Runtime } from "./runtime.ts";

/** Options of {@link startWorker}; each defaults from the environment variable named. */
export interface WorkerOptions {
  /** REDIS_URL (required). */
  redisUrl?: string;
  /** DATABASE_URL; without it the store's embedded PostgreSQL under WEFT_DATA_DIR is used. */
  databaseUrl?: string;
  /** WEFT_WORKER_CONCURRENCY, default 10. */
  concurrency?: number;
  /** WEFT_WORKER_ID, default `${hostname}-${pid}`. */
  workerId?: string;
  /** PORT of /healthz, /readyz and /metrics; 0 (default) picks a free port. */
  port?: number;
  /** HOST the health server binds, default 0.0.0.0 (reachable from outside a container). */
  host?: string;
  /**
   * WEFT_PLUGINS (comma-separated): package names, or paths of modules default-exporting a plugin,
   * loaded in addition to the first-party plugins and the working directory's (see pluginsFromEnvironment).
   */
  plugins?: string[];
  /**
   * The host package's directory, which the first-party plugins are resolved from (apps/worker,
   * @weft/cli). Default: this package's, which only depends on core and http.
   */
  pluginsFrom?: string;
  /** WEFT_SHUTDOWN_GRACE_MS, default 30 000: how long stop() lets in-flight runs finish. */
  graceMs?: number;
  queue?: Partial<QueueSettings>;
}

/** A running worker. */
export interface RunningWorker {
  /** The port /healthz, /readyz and /metrics listen on. */
  readonly port: number;
  readonly workerId: string;
  readonly runtime: Runtime;
  /** Stops taking jobs, drains (or hands over) in-flight runs, closes connections. */
  stop(): Promise<void>;
}

/** Starts a worker: store, plugins, BullMQ worker and the health/metrics server. */
export async function startWorker(options: WorkerOptions = {}): Promise<RunningWorker> {
  const env = process.env;
  const redisUrl = options.redisUrl ?? env.REDIS_URL;
  if (!redisUrl)
    throw new RuntimeError(
      "WEFT_E_RUNTIME_CONFIG",
      "a worker needs Redis: set REDIS_URL (e.g. redis://localhost:6379)",
      {
        variable: "REDIS_URL",
      },
    );
  const workerId = options.workerId ?? defaultWorkerId(env);
  const concurrency = options.concurrency ?? intSetting(env, "WEFT_WORKER_CONCURRENCY", 10, 1);
  const port = options.port ?? intSetting(env, "PORT", 0);
  const graceMs = options.graceMs ?? intSetting(env, "WEFT_SHUTDOWN_GRACE_MS", 30_000);
  const host = options.host ?? (env.HOST || "0.0.0.0");
  const extraPlugins = options.plugins ?? pluginNamesFromEnvironment(env);
  const logger = pino({ name: "weft-worker", level: env.WEFT_LOG_LEVEL ?? "info", base: { workerId } });

  const catalog = await loadPlugins(
    await pluginsFromEnvironment(env, {
      from: options.pluginsFrom ?? path.resolve(import.meta.dirname, ".."),
      extra: extraPlugins,
    }),
  );
  const store: Store = await openStore(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {});
  let runtime: Runtime;
  try {
    runtime = await createRuntime({
      store,
      catalog,
      transport: "bullmq",
      redisUrl,
      concurrency,
      workerId,
      startWorkers: true,
      logger,
      processMetrics: true,
      ...(options.queue ? { queue: options.queue } : {}),
    });
    await runtime.start();
  } catch (error) {
    await store.close();
    throw error;
  }
  let draining = false;
  const health = await startHealthServer({
    port,
    host,
    registry: runtime.metrics,
    info: () => ({ workerId, version: pkg.version, plugins: catalog.plugins.map((p) => `${p.name}@${p.version}`) }),
    readiness: async () => {
      const problems = draining ? ["draining"] : await runtime.problems();
      if (!draining) {
        try {
          await store.ping();
        } catch (error) {
          problems.push(`database unreachable: ${String(error)}`);
        }
      }
      return problems;
    },
  });
  logger.info(
    { port: health.port, host, concurrency, plugins: catalog.plugins.map((p) => `${p.name}@${p.version}`) },
    "worker started",
  );
  let stopping: Promise<void> | undefined;
  return {
    port: health.port,
    workerId,
    runtime,
    stop() {
      stopping ??= (async () => {
        draining = true;
        logger.info({ graceMs }, "worker draining");
        await runtime.stop({ graceMs });
        await health.close();
        await store.close();
        logger.info("worker stopped");
      })();
      return stopping;
    },
  };
}

// `weft start`: the API and execution in one process — embedded PostgreSQL under WEFT_DATA_DIR and
// the inline transport by default; DATABASE_URL / REDIS_URL when set.

import { createRuntime, intSetting, TriggerScheduler } from "@weft/runtime";
import { createServer, ensureAdminKey } from "@weft/server";
import { pino } from "pino";
import { dataDir, loadCatalog, openLocalStore } from "../environment.ts";
import { VERSION } from "../index.ts";
import { onShutdown } from "../shutdown.ts";

export async function startCommand(): Promise<void> {
  const port = intSetting(process.env, "PORT", 3000);
  const graceMs = intSetting(process.env, "WEFT_SHUTDOWN_GRACE_MS", 30_000);
  const host = process.env.HOST ?? "127.0.0.1";
  const logger = pino({ level: process.env.WEFT_LOG_LEVEL ?? "info" });
  const started = performance.now();
  const catalog = await loadCatalog();
  const store = await openLocalStore();
  const runtime = await createRuntime({
    store,
    catalog,
    logger: logger.child({ component: "runtime" }),
    // With Redis, this process also works the queue: "one process" unless workers are added.
    startWorkers: true,
  });
  await runtime.start();
  // Every process may run one: each due time is claimed once across them.
  const scheduler = new TriggerScheduler({ store, runtime, logger: logger.child({ component: "scheduler" }) });
  scheduler.start();
  const admin = await ensureAdminKey(store);
  const server = createServer({ store, runtime, catalog, logger: logger.child({ component: "api" }) });
  const listening = await server.listen(port, host);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(`weft ${VERSION} listening on ${listening.url} (ready in ${seconds} s)`);
  out(`  database:  ${store.embedded ? `embedded PostgreSQL in ${dataDir()}` : "DATABASE_URL"}`);
  out(`  execution: ${runtime.transport}${runtime.transport === "bullmq" ? " (REDIS_URL)" : " (in this process)"}`);
  out(`  plugins:   ${catalog.plugins.map((p) => `${p.name}@${p.version}`).join(", ")}`);
  out(`  API docs:  ${listening.url}/api/openapi.json`);
  if (admin.key) {
    out("");
    out("  Admin API key (shown once; only its hash is stored):");
    out(`    ${admin.key}`);
    out(`  Try: curl -H "Authorization: Bearer ${admin.key}" ${listening.url}/api/workflows`);
  } else if (admin.source === "env" && admin.revoked) {
    out("  admin key: WEFT_ADMIN_API_KEY was revoked through the API and is refused; set a new value");
  } else if (admin.source === "env") out("  admin key: WEFT_ADMIN_API_KEY (stored as a hash)");

  onShutdown(async () => {
    out("weft: shutting down");
    await scheduler.stop();
    await listening.close();
    await server.close();
    await runtime.stop({ graceMs });
    await store.close();
  });
}

// Vitest global setup: one embedded PostgreSQL cluster and one redis-server for the whole run.
// Test files get their own database (see test/pg.ts) and their own Redis key prefix.
import type { TestProject } from "vitest/node";
import { startRedisServer, startTestPostgres } from "./services.ts";

declare module "vitest" {
  export interface ProvidedContext {
    pgAdminUrl: string;
    redisUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const [pg, redis] = await Promise.all([startTestPostgres(), startRedisServer()]);
  project.provide("pgAdminUrl", pg.url);
  project.provide("redisUrl", redis.url);
  return async () => {
    await Promise.all([pg.dispose(), redis.stop()]);
  };
}

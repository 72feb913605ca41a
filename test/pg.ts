// Per-test-file databases on the shared embedded PostgreSQL cluster of the run.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";

/** Creates an empty database for the calling test file and returns its URL. */
export async function createTestDatabase(prefix = "t"): Promise<string> {
  const admin = inject("pgAdminUrl");
  const name = `weft_${prefix}_${randomBytes(5).toString("hex")}`.toLowerCase();
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return url.toString();
}

/** The Redis URL of the run's redis-server. */
export function testRedisUrl(): string {
  return inject("redisUrl");
}

/** Moves runs `days` into the past, straight in the database (their finish time too, when they have one). */
export async function ageRuns(databaseUrl: string, ids: string[], days: number): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(
      `update runs set created_at = now() - make_interval(days => $2), updated_at = now() - make_interval(days => $2),
         finished_at = case when finished_at is null then null else now() - make_interval(days => $2) end
       where id = any($1::uuid[])`,
      [ids, days],
    );
  } finally {
    await client.end();
  }
}

import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/pg.ts";
import { migrate, openStore } from "./index.ts";
import { migrationsList } from "./migrations/index.ts";

describe("migrations", () => {
  const clients: pg.Client[] = [];
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end()));
  });

  it("migrate() builds the whole schema on an empty database, and a second run applies nothing", async () => {
    const url = await createTestDatabase("mig");
    expect(await migrate(url)).toEqual(migrationsList.map((m) => m.name));
    expect(await migrate(url)).toEqual([]);

    const client = new pg.Client({ connectionString: url });
    clients.push(client);
    await client.connect();
    const { rows } = await client.query<{ table_name: string }>(
      "select table_name from information_schema.tables where table_schema = 'public' order by table_name",
    );
    expect(rows.map((r) => r.table_name)).toEqual([
      "api_keys",
      "approvals",
      "audit_events",
      "credentials",
      "notifications",
      "runs",
      "steps",
      "triggers",
      "weft_migrations",
      "workflow_versions",
      "workflows",
    ]);
    const json = await client.query<{ table_name: string; column_name: string; data_type: string }>(
      "select table_name, column_name, data_type from information_schema.columns where table_schema = 'public' and data_type like 'json%'",
    );
    expect(json.rows.length).toBeGreaterThan(10);
    expect(new Set(json.rows.map((r) => r.data_type))).toEqual(new Set(["jsonb"]));
    const indexes = await client.query<{ indexname: string }>(
      "select indexname from pg_indexes where schemaname = 'public'",
    );
    expect(indexes.rows.map((r) => r.indexname)).toEqual(
      expect.arrayContaining([
        "runs_workflow_created_idx",
        "runs_status_created_idx",
        "steps_run_node_attempt_unique",
        "approvals_pending_idx",
        "triggers_due_idx",
      ]),
    );
  });

  it("openStore migrates by default and refuses edits of the append-only audit trail", async () => {
    const url = await createTestDatabase("mig");
    const store = await openStore({ databaseUrl: url, encryptionKey: Buffer.alloc(32, 1) });
    try {
      await store.audit.record({ actor: "alice", action: "workflow.create", target: { type: "workflow", id: "w1" } });
      const client = new pg.Client({ connectionString: url });
      clients.push(client);
      await client.connect();
      await expect(client.query("update audit_events set actor = 'mallory'")).rejects.toThrow(/append-only/);
      await expect(client.query("delete from audit_events")).rejects.toThrow(/append-only/);
      const { items } = await store.audit.list();
      expect(items.map((e) => e.actor)).toEqual(["alice"]);
    } finally {
      await store.close();
    }
  });
});

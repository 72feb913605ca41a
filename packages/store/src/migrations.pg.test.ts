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
      "webhook_deliveries",
      "weft_migrations",
      "workflow_versions",
      "workflows",
    ]);
    const json = await client.query<{ table_name: string; column_name: string; data_type: string }>(
      "select table_name, column_name, data_type from information_schema.columns where table_schema = 'public' and data_type like 'json%'",
    );
    expect(json.rows.length).toBeGreaterThan(10);
    expect(new Set(json.rows.map((r) => r.data_type))).toEqual(new Set(["jsonb"]));
    const draft = await client.query(
      "select data_type from information_schema.columns where table_name = 'workflows' and column_name = 'definition'",
    );
    expect(draft.rows).toEqual([{ data_type: "jsonb" }]);
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

  it("moves drafts the API server kept in weft_workflow_drafts onto their workflows", async () => {
    const url = await createTestDatabase("mig");
    const client = new pg.Client({ connectionString: url });
    clients.push(client);
    await client.connect();
    const { Migrator } = await import("@mikro-orm/migrations");
    const { MikroORM } = await import("@mikro-orm/postgresql");
    const orm = await MikroORM.init({
      entities: (await import("./entities.ts")).entities,
      clientUrl: url,
      extensions: [Migrator],
      migrations: { migrationsList, tableName: "weft_migrations", snapshot: false, silent: true },
    });
    try {
      await orm.migrator.up({ to: "Migration20260101000000_initial" });
      const id = "11111111-1111-4111-8111-111111111111";
      await client.query("insert into workflows (id, name, created_at, updated_at) values ($1, 'old', now(), now())", [
        id,
      ]);
      await client.query(
        "create table weft_workflow_drafts (workflow_id uuid primary key references workflows(id) on delete cascade, definition jsonb not null, updated_at timestamptz not null default now())",
      );
      await client.query("insert into weft_workflow_drafts (workflow_id, definition) values ($1, $2)", [
        id,
        JSON.stringify({ name: "old", nodes: [], edges: [] }),
      ]);
    } finally {
      await orm.close(true);
    }
    expect(await migrate(url)).toEqual([
      "Migration20260201000000_workflow_definition",
      "Migration20260301000000_webhook_deliveries",
    ]);
    const { rows } = await client.query("select definition from workflows");
    expect(rows).toEqual([{ definition: { name: "old", nodes: [], edges: [] } }]);
    const gone = await client.query("select to_regclass('weft_workflow_drafts') as t");
    expect(gone.rows).toEqual([{ t: null }]);
  });
});

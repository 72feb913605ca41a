// The editable (draft) definition of each workflow. The store keeps workflow metadata and immutable
// published versions, but no draft; until it does, the server keeps drafts in a table of its own
// next to the store's, removed with their workflow (foreign key, on delete cascade).
import pg from "pg";

/** Draft definitions by workflow id. */
export interface DraftDefinitions {
  get(workflowId: string): Promise<unknown | undefined>;
  set(workflowId: string, definition: unknown): Promise<void>;
  close(): Promise<void>;
}

const CREATE = `
create table if not exists weft_workflow_drafts (
  workflow_id uuid primary key references workflows(id) on delete cascade,
  definition jsonb not null,
  updated_at timestamptz not null default now()
)`;

/** Drafts in the store's database (`databaseUrl`), table created on first use. */
export function pgDraftDefinitions(databaseUrl: string): DraftDefinitions {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  // A pool error on an idle client must not crash the process; the next query reports it.
  pool.on("error", () => {});
  let ready: Promise<unknown> | undefined;
  const ensure = () => {
    ready ??= pool.query(CREATE).catch((error: unknown) => {
      ready = undefined;
      throw error;
    });
    return ready;
  };
  return {
    async get(workflowId) {
      await ensure();
      const result = await pool.query<{ definition: unknown }>(
        "select definition from weft_workflow_drafts where workflow_id = $1",
        [workflowId],
      );
      return result.rows[0]?.definition;
    },
    async set(workflowId, definition) {
      await ensure();
      await pool.query(
        `insert into weft_workflow_drafts (workflow_id, definition, updated_at) values ($1, $2::jsonb, now())
         on conflict (workflow_id) do update set definition = excluded.definition, updated_at = now()`,
        [workflowId, JSON.stringify(definition)],
      );
    },
    async close() {
      await pool.end();
    },
  };
}

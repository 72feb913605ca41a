// The initial schema. Hand-reviewed SQL: checks, foreign keys and indexes for the queries the API
// makes. Committed and never edited once released; later changes come as new migrations.
import { Migration } from "@mikro-orm/migrations";

export class Migration20260101000000Initial extends Migration {
  override name = "Migration20260101000000_initial";

  override up(): void {
    this.addSql(`create table "workflows" (
  "id" uuid primary key,
  "name" text not null,
  "description" text null,
  "category" text null,
  "tags" text[] not null default '{}',
  "status" text not null default 'draft' check ("status" in ('draft', 'active', 'archived')),
  "owner" text null,
  "latest_version" text null,
  "created_at" timestamptz not null,
  "updated_at" timestamptz not null
);`);
    this.addSql(`create index "workflows_status_updated_idx" on "workflows" ("status", "updated_at" desc);`);
    this.addSql(`create index "workflows_category_idx" on "workflows" ("category");`);
    this.addSql(`create index "workflows_tags_idx" on "workflows" using gin ("tags");`);

    this.addSql(`create table "workflow_versions" (
  "id" uuid primary key,
  "workflow_id" uuid not null references "workflows" ("id") on delete cascade,
  "version" text not null,
  "definition" jsonb not null,
  "plugin_versions" jsonb not null default '{}',
  "notes" text null,
  "published_by" text null,
  "published_at" timestamptz not null,
  constraint "workflow_versions_workflow_version_unique" unique ("workflow_id", "version")
);`);

    this.addSql(`create table "triggers" (
  "id" uuid primary key,
  "workflow_id" uuid not null references "workflows" ("id") on delete cascade,
  "kind" text not null check ("kind" in ('manual', 'schedule', 'webhook', 'event')),
  "enabled" boolean not null default true,
  "cron" text null,
  "timezone" text null,
  "event_name" text null,
  "secret_ciphertext" text null,
  "config" jsonb null,
  "next_run_at" timestamptz null,
  "last_run_at" timestamptz null,
  "created_at" timestamptz not null,
  "updated_at" timestamptz not null,
  check ("kind" <> 'schedule' or "cron" is not null)
);`);
    this.addSql(`create index "triggers_workflow_idx" on "triggers" ("workflow_id");`);
    this.addSql(
      `create index "triggers_due_idx" on "triggers" ("next_run_at") where "kind" = 'schedule' and "enabled";`,
    );
    this.addSql(`create index "triggers_event_idx" on "triggers" ("event_name") where "kind" = 'event';`);

    this.addSql(`create table "runs" (
  "id" uuid primary key,
  "workflow_id" uuid not null references "workflows" ("id") on delete cascade,
  "workflow_version_id" uuid null references "workflow_versions" ("id") on delete set null,
  "version" text null,
  "status" text not null check ("status" in ('queued', 'running', 'paused', 'waiting', 'succeeded', 'failed', 'cancelled')),
  "trigger_id" uuid null references "triggers" ("id") on delete set null,
  "trigger_kind" text not null default 'manual',
  "input" jsonb null,
  "output" jsonb null,
  "error" jsonb null,
  "progress" jsonb null,
  "state" jsonb null,
  "correlation_id" text null,
  "trace_id" text null,
  "parent_run_id" uuid null references "runs" ("id") on delete set null,
  "parent_node_id" text null,
  "worker_id" text null,
  "lease_until" timestamptz null,
  "checkpoints" int not null default 0,
  "created_at" timestamptz not null,
  "started_at" timestamptz null,
  "finished_at" timestamptz null,
  "updated_at" timestamptz not null
);`);
    this.addSql(`create index "runs_workflow_created_idx" on "runs" ("workflow_id", "created_at" desc);`);
    this.addSql(`create index "runs_status_created_idx" on "runs" ("status", "created_at" desc);`);
    this.addSql(`create index "runs_created_idx" on "runs" ("created_at" desc);`);
    this.addSql(`create index "runs_parent_idx" on "runs" ("parent_run_id") where "parent_run_id" is not null;`);
    this.addSql(`create index "runs_correlation_idx" on "runs" ("correlation_id") where "correlation_id" is not null;`);
    this.addSql(
      `create index "runs_finished_idx" on "runs" ("finished_at") where "status" in ('succeeded', 'failed', 'cancelled');`,
    );

    this.addSql(`create table "steps" (
  "id" uuid primary key,
  "run_id" uuid not null references "runs" ("id") on delete cascade,
  "node_id" text not null,
  "node_type" text not null,
  "attempt" int not null check ("attempt" >= 1),
  "status" text not null check ("status" in ('succeeded', 'failed', 'suspended', 'cancelled', 'skipped')),
  "input" jsonb null,
  "config" jsonb null,
  "output" jsonb null,
  "output_truncated" boolean not null default false,
  "output_bytes" int null,
  "port" text null,
  "error_code" text null,
  "error_message" text null,
  "error" jsonb null,
  "logs" jsonb null,
  "started_at" timestamptz null,
  "finished_at" timestamptz null,
  "duration_ms" int null,
  "worker_id" text null,
  "created_at" timestamptz not null,
  constraint "steps_run_node_attempt_unique" unique ("run_id", "node_id", "attempt")
);`);

    this.addSql(`create table "approvals" (
  "id" uuid primary key,
  "run_id" uuid not null references "runs" ("id") on delete cascade,
  "node_id" text not null,
  "title" text null,
  "details" jsonb null,
  "approver_role" text null,
  "approver_user" text null,
  "status" text not null default 'pending' check ("status" in ('pending', 'approved', 'rejected', 'expired')),
  "expires_at" timestamptz null,
  "escalate_to_role" text null,
  "escalated_at" timestamptz null,
  "delegated_by" text null,
  "delegated_at" timestamptz null,
  "comment" text null,
  "decided_by" text null,
  "decided_at" timestamptz null,
  "created_at" timestamptz not null
);`);
    this.addSql(
      `create index "approvals_pending_idx" on "approvals" ("approver_role", "expires_at") where "status" = 'pending';`,
    );
    this.addSql(`create index "approvals_run_idx" on "approvals" ("run_id");`);

    this.addSql(`create table "notifications" (
  "id" uuid primary key,
  "run_id" uuid null references "runs" ("id") on delete set null,
  "channel" text not null,
  "recipient" text not null,
  "subject" text null,
  "body" text null,
  "data" jsonb null,
  "status" text not null default 'pending' check ("status" in ('pending', 'sent', 'failed', 'read')),
  "error" text null,
  "created_at" timestamptz not null,
  "sent_at" timestamptz null,
  "read_at" timestamptz null
);`);
    this.addSql(`create index "notifications_recipient_idx" on "notifications" ("recipient", "created_at" desc);`);

    this.addSql(`create table "audit_events" (
  "id" bigserial primary key,
  "actor" text not null,
  "action" text not null,
  "target_type" text not null,
  "target_id" text null,
  "before" jsonb null,
  "after" jsonb null,
  "at" timestamptz not null
);`);
    this.addSql(`create index "audit_events_target_idx" on "audit_events" ("target_type", "target_id", "at" desc);`);
    this.addSql(`create index "audit_events_at_idx" on "audit_events" ("at" desc);`);
    // Append-only is enforced by the database, not by convention.
    this.addSql(`create function "audit_events_append_only"() returns trigger language plpgsql as $$
begin
  raise exception 'audit_events is append-only' using errcode = '55000';
end $$;`);
    this.addSql(`create trigger "audit_events_no_change" before update or delete on "audit_events"
  for each row execute function "audit_events_append_only"();`);

    this.addSql(`create table "credentials" (
  "id" uuid primary key,
  "name" text not null unique,
  "type" text not null,
  "ciphertext" text not null,
  "key_id" text not null,
  "created_at" timestamptz not null,
  "updated_at" timestamptz not null
);`);

    this.addSql(`create table "api_keys" (
  "id" uuid primary key,
  "name" text not null,
  "role" text not null check ("role" in ('viewer', 'editor', 'operator', 'admin')),
  "key_hash" text not null unique,
  "prefix" text not null,
  "created_at" timestamptz not null,
  "last_used_at" timestamptz null,
  "revoked_at" timestamptz null
);`);
  }

  override down(): void {
    for (const table of [
      "api_keys",
      "credentials",
      "audit_events",
      "notifications",
      "approvals",
      "steps",
      "runs",
      "triggers",
      "workflow_versions",
      "workflows",
    ]) {
      this.addSql(`drop table if exists "${table}" cascade;`);
    }
    this.addSql(`drop function if exists "audit_events_append_only"();`);
  }
}

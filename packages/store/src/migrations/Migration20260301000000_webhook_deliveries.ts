// Accepted webhook deliveries, shared by every API process: a signature recorded here is refused by
// all replicas, not only by the one that received it first. Rows only need to outlive the replay
// window; `triggers.recordDelivery` prunes older ones for the trigger it records for.
import { Migration } from "@mikro-orm/migrations";

export class Migration20260301000000WebhookDeliveries extends Migration {
  override name = "Migration20260301000000_webhook_deliveries";

  override up(): void {
    this.addSql(`create table "webhook_deliveries" (
  "trigger_id" uuid not null references "triggers" ("id") on delete cascade,
  "signature" text not null,
  "received_at" timestamptz not null,
  primary key ("trigger_id", "signature")
);`);
  }

  override down(): void {
    this.addSql(`drop table if exists "webhook_deliveries";`);
  }
}

// Every committed migration, in order. Listed explicitly so the migrator needs no file globbing and
// works straight from the TypeScript sources.
import type { MigrationObject } from "@mikro-orm/core";
import { Migration20260101000000Initial } from "./Migration20260101000000_initial.ts";
import { Migration20260201000000WorkflowDefinition } from "./Migration20260201000000_workflow_definition.ts";
import { Migration20260301000000WebhookDeliveries } from "./Migration20260301000000_webhook_deliveries.ts";

export const migrationsList: MigrationObject[] = [
  { name: "Migration20260101000000_initial", class: Migration20260101000000Initial },
  { name: "Migration20260201000000_workflow_definition", class: Migration20260201000000WorkflowDefinition },
  { name: "Migration20260301000000_webhook_deliveries", class: Migration20260301000000WebhookDeliveries },
];

// The editable (draft) definition of a workflow, next to its metadata, so that a workflow and its draft
// are written in one statement. Databases where the API server kept drafts in a table of its own
// (`weft_workflow_drafts`, before this migration) have them moved here, and that table dropped.
import { Migration } from "@mikro-orm/migrations";

export class Migration20260201000000WorkflowDefinition extends Migration {
  override name = "Migration20260201000000_workflow_definition";

  override up(): void {
    this.addSql(`alter table "workflows" add column "definition" jsonb null;`);
    this.addSql(`alter table "workflows" add constraint "workflows_definition_object"
  check ("definition" is null or jsonb_typeof("definition") = 'object');`);
    this.addSql(`do $$
begin
  if to_regclass('weft_workflow_drafts') is not null then
    update "workflows" w set "definition" = d.definition
      from weft_workflow_drafts d
      where d.workflow_id = w.id and jsonb_typeof(d.definition) = 'object';
    drop table weft_workflow_drafts;
  end if;
end $$;`);
  }

  override down(): void {
    this.addSql(`alter table "workflows" drop constraint if exists "workflows_definition_object";`);
    this.addSql(`alter table "workflows" drop column if exists "definition";`);
  }
}

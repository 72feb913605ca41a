// The NUL check on what callers hand to the run repository (run input from the CLI, webhooks, the
// API, event and schedule triggers). It sits in front of RunRepository so the hot checkpoint path
// stays as it is: states and step outputs are already serialised to JSON there, where PostgreSQL
// answers a NUL escape with SQLSTATE 22P05, which the store reports as a ValidationError.
import type { Page, RunRecord } from "../records.ts";
import type { CreateRunInput } from "./run-create.ts";
import type { RunSummary } from "./run-rows.ts";
import { type RunFilter, RunRepository } from "./runs.ts";
import { refuseNul } from "./shared.ts";

/** RunRepository whose `create` and `list` refuse a NUL character with a ValidationError naming the field. */
export class GuardedRunRepository extends RunRepository {
  override async create(input: CreateRunInput): Promise<RunRecord> {
    refuseNul({ ...input }, { entity: "run" });
    return super.create(input);
  }

  override async list(filter: RunFilter = {}): Promise<Page<RunSummary>> {
    refuseNul({ ...filter });
    return super.list(filter);
  }
}

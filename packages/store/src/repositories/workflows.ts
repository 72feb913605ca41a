// Workflows and their immutable published versions.
import type { InferEntity } from "@mikro-orm/core";
import type { EntityManager } from "@mikro-orm/postgresql";
import semver from "semver";
import { WorkflowEntity, WorkflowVersionEntity } from "../entities.ts";
import { ConflictError, NotFoundError, translateDbError, ValidationError } from "../errors.ts";
import type { WorkflowDefinition } from "../kernel-types.ts";
import {
  ACTIVE_RUN_STATUSES,
  type Json,
  type Page,
  type PageOptions,
  type WorkflowRecord,
  type WorkflowStatus,
  type WorkflowSummary,
  type WorkflowVersionRecord,
} from "../records.ts";
import type { CheckpointPool } from "./run-checkpoint.ts";
import { type CreateRunInput, createRunQuery } from "./run-create.ts";
import { fork, iso, newId, oneOf, pageOf, type RepositoryContext, refuseNul, requireText, UUID } from "./shared.ts";

interface NativeConnection {
  getNativeClient(): Promise<CheckpointPool>;
}

// Reads by key go through named prepared statements on the driver's pool: every API request for a
// workflow, and every start of a run, begins with one, and the ORM's fork, query building and entity
// hydration cost many times the query itself. Timestamps travel as epoch milliseconds (truncated, as
// the ORM's own reads do) so a record is the same whichever path read it.
const epochMs = (column: string): string => `floor(extract(epoch from "${column}") * 1000)::float8 as "${column}"`;
const GET_WORKFLOW_SQL = `select "id"::text, "name", "description", "category", "tags", "status", "owner",
    "latest_version", "definition", ${epochMs("created_at")}, ${epochMs("updated_at")}
  from "workflows" where "id" = $1::uuid`;
const VERSION_COLUMNS = `"id"::text, "workflow_id"::text, "version", "definition", "plugin_versions", "notes",
    "published_by", ${epochMs("published_at")}`;
const GET_VERSION_BY_ID_SQL = `select ${VERSION_COLUMNS} from "workflow_versions" where "id" = $1::uuid`;
// `latest` resolves through the workflow row in the same statement.
const GET_VERSION_SQL = `select ${VERSION_COLUMNS} from "workflow_versions"
  where "workflow_id" = $1::uuid and "version" = case when $2::text = 'latest'
    then (select "latest_version" from "workflows" where "id" = $1::uuid) else $2::text end`;

interface RawWorkflowRow {
  id: string;
  name: string;
  description: string | null;
  category: string | null;
  tags: string[] | null;
  status: string;
  owner: string | null;
  latest_version: string | null;
  definition: Json;
  created_at: number;
  updated_at: number;
}

interface RawVersionRow {
  id: string;
  workflow_id: string;
  version: string;
  definition: Json;
  plugin_versions: Record<string, string> | null;
  notes: string | null;
  published_by: string | null;
  published_at: number;
}

function fromRawWorkflow(raw: RawWorkflowRow): WorkflowRow {
  return {
    id: raw.id,
    name: raw.name,
    description: raw.description,
    category: raw.category,
    tags: raw.tags ?? [],
    status: raw.status,
    owner: raw.owner,
    latestVersion: raw.latest_version,
    definition: raw.definition,
    createdAt: new Date(raw.created_at),
    updatedAt: new Date(raw.updated_at),
  } as WorkflowRow;
}

function fromRawVersion(raw: RawVersionRow): VersionRow {
  return {
    id: raw.id,
    workflowId: raw.workflow_id,
    version: raw.version,
    definition: raw.definition,
    pluginVersions: raw.plugin_versions ?? {},
    notes: raw.notes,
    publishedBy: raw.published_by,
    publishedAt: new Date(raw.published_at),
  } as VersionRow;
}

const ACTIVE_SQL = ACTIVE_RUN_STATUSES.map((s) => `'${s}'`).join(", ");
const STATUSES: readonly WorkflowStatus[] = ["draft", "active", "archived"];

export interface CreateWorkflowInput {
  name: string;
  description?: string | null;
  category?: string | null;
  tags?: string[];
  status?: WorkflowStatus;
  owner?: string | null;
  /**
   * The editable (draft) definition, a JSON object (graph validation is the caller's job). Written in
   * the same statement as the rest of the row, so a workflow never exists without the draft it was given.
   */
  definition?: WorkflowDefinition | Json | null;
  /** Lets callers (imports, tests) choose the id; a UUID. */
  id?: string;
}

export type UpdateWorkflowInput = Partial<Omit<CreateWorkflowInput, "id">>;

export interface WorkflowFilter extends PageOptions {
  category?: string;
  status?: WorkflowStatus;
  /** Workflows carrying this tag. */
  tag?: string;
  /** Case-insensitive substring of the name or description. */
  text?: string;
}

export interface PublishInput {
  /** The workflow definition (graph validation is the caller's job, with the kernel's validator). */
  definition: WorkflowDefinition | Json;
  /** Exact semver; when absent, the latest version's patch is bumped (1.0.0 for the first). */
  version?: string;
  notes?: string | null;
  /** Plugin package name → exact version. */
  pluginVersions?: Record<string, string>;
  publishedBy?: string | null;
}

type WorkflowRow = InferEntity<typeof WorkflowEntity>;
type VersionRow = InferEntity<typeof WorkflowVersionEntity>;

function toSummary(row: WorkflowRow): WorkflowSummary {
  return {
    id: row.id,
    name: row.name,
    description: row.description ?? null,
    category: row.category ?? null,
    tags: row.tags ?? [],
    status: row.status as WorkflowStatus,
    owner: row.owner ?? null,
    latestVersion: row.latestVersion ?? null,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

function toRecord(row: WorkflowRow): WorkflowRecord {
  const { createdAt, updatedAt, ...rest } = toSummary(row);
  return { ...rest, definition: (row.definition ?? null) as WorkflowDefinition | null, createdAt, updatedAt };
}

function checkDefinition(definition: unknown): Json {
  if (definition === null) return null;
  if (typeof definition !== "object" || Array.isArray(definition))
    throw new ValidationError("definition must be a workflow definition object", { field: "definition" });
  return definition as Json;
}

function toVersionRecord(row: VersionRow): WorkflowVersionRecord {
  return {
    id: row.id,
    workflowId: row.workflowId,
    version: row.version,
    definition: row.definition as unknown as WorkflowDefinition,
    pluginVersions: row.pluginVersions ?? {},
    notes: row.notes ?? null,
    publishedBy: row.publishedBy ?? null,
    publishedAt: iso(row.publishedAt),
  };
}

function checkTags(tags: unknown): string[] {
  if (!Array.isArray(tags) || tags.some((t) => typeof t !== "string"))
    throw new ValidationError("tags must be an array of strings", { field: "tags" });
  return tags as string[];
}

function checkPublish(workflowId: string, input: PublishInput): void {
  if (input.definition === undefined || input.definition === null || typeof input.definition !== "object")
    throw new ValidationError("definition must be a workflow definition object", { field: "definition" });
  if (input.version !== undefined && semver.valid(input.version) !== input.version)
    throw new ValidationError(`version ${input.version} is not an exact semver version`, {
      field: "version",
      value: input.version,
    });
  refuseNul(
    {
      definition: input.definition,
      notes: input.notes,
      pluginVersions: input.pluginVersions,
      publishedBy: input.publishedBy,
    },
    { entity: "workflow_version", workflowId },
  );
}

async function publishIn(em: EntityManager, workflowId: string, input: PublishInput): Promise<WorkflowVersionRecord> {
  const [locked] = await em.execute<{ latest_version: string | null; status: string }[]>(
    'select latest_version, status from "workflows" where id = ? for update',
    [workflowId],
  );
  if (!locked) throw new NotFoundError("workflow", workflowId);
  const latest = locked.latest_version;
  let version = input.version;
  if (version === undefined) version = latest ? (semver.inc(latest, "patch") ?? "1.0.0") : "1.0.0";
  else if (latest && !semver.gt(version, latest))
    throw new ConflictError(`version ${version} must be greater than the latest version ${latest}`, {
      workflowId,
      version,
      latestVersion: latest,
    });
  const row = {
    id: newId(),
    workflowId,
    version,
    definition: input.definition as Json,
    pluginVersions: input.pluginVersions ?? {},
    notes: input.notes ?? null,
    publishedBy: input.publishedBy ?? null,
    publishedAt: new Date(),
  };
  await em.insert(WorkflowVersionEntity, row).catch((e) => translateDbError(e, { entity: "workflow_version" }));
  await em.nativeUpdate(
    WorkflowEntity,
    { id: workflowId },
    { latestVersion: version, status: locked.status === "draft" ? "active" : locked.status, updatedAt: new Date() },
  );
  return toVersionRecord(row as VersionRow);
}

/** Workflows CRUD, publishing and versions. */
export class WorkflowRepository {
  readonly #ctx: RepositoryContext;
  #nativePool: Promise<CheckpointPool> | undefined;
  constructor(ctx: RepositoryContext) {
    this.#ctx = ctx;
  }

  #pool(): Promise<CheckpointPool> {
    this.#nativePool ??= (this.#ctx.orm.em.getConnection() as unknown as NativeConnection).getNativeClient();
    return this.#nativePool;
  }

  async create(input: CreateWorkflowInput): Promise<WorkflowRecord> {
    const now = new Date();
    const row = {
      id: input.id ?? newId(),
      name: requireText(input.name, "name"),
      description: input.description ?? null,
      category: input.category ?? null,
      tags: checkTags(input.tags ?? []),
      status: oneOf(input.status ?? "draft", STATUSES, "status"),
      owner: input.owner ?? null,
      latestVersion: null,
      definition: checkDefinition(input.definition ?? null),
      createdAt: now,
      updatedAt: now,
    };
    refuseNul(row, { entity: "workflow" });
    await fork(this.#ctx)
      .insert(WorkflowEntity, row)
      .catch((e) => translateDbError(e, { entity: "workflow" }));
    return toRecord(row);
  }

  /** The workflow with its draft definition (a prepared statement). */
  async get(id: string): Promise<WorkflowRecord | undefined> {
    if (typeof id !== "string" || !UUID.test(id)) return undefined;
    const pool = await this.#pool();
    const result = await pool.query<RawWorkflowRow>({
      name: "weft_get_workflow",
      text: GET_WORKFLOW_SQL,
      values: [id],
    });
    const raw = result.rows[0];
    return raw ? toRecord(fromRawWorkflow(raw)) : undefined;
  }

  /** Workflows without their draft definitions (`get` has it). */
  async list(filter: WorkflowFilter = {}): Promise<Page<WorkflowSummary>> {
    const { limit, offset } = pageOf(filter);
    refuseNul({ category: filter.category, tag: filter.tag, text: filter.text });
    const where: Record<string, unknown> = {};
    if (filter.category !== undefined) where.category = filter.category;
    if (filter.status !== undefined) where.status = oneOf(filter.status, STATUSES, "status");
    if (filter.tag !== undefined) where.tags = { $contains: [filter.tag] };
    if (filter.text) {
      const pattern = `%${filter.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      where.$or = [{ name: { $ilike: pattern } }, { description: { $ilike: pattern } }];
    }
    const [rows, total] = await fork(this.#ctx).findAndCount(WorkflowEntity, where, {
      orderBy: { updatedAt: "desc", id: "asc" },
      limit,
      offset,
    });
    return { items: rows.map(toSummary), total };
  }

  async update(id: string, patch: UpdateWorkflowInput): Promise<WorkflowRecord> {
    const data: Record<string, unknown> = { updatedAt: new Date() };
    if (patch.name !== undefined) data.name = requireText(patch.name, "name");
    if (patch.description !== undefined) data.description = patch.description;
    if (patch.category !== undefined) data.category = patch.category;
    if (patch.tags !== undefined) data.tags = checkTags(patch.tags);
    if (patch.status !== undefined) data.status = oneOf(patch.status, STATUSES, "status");
    if (patch.owner !== undefined) data.owner = patch.owner;
    if (patch.definition !== undefined) data.definition = checkDefinition(patch.definition);
    refuseNul(data, { entity: "workflow", id });
    const em = fork(this.#ctx);
    const count = await em
      .nativeUpdate(WorkflowEntity, { id }, data)
      .catch((e) => translateDbError(e, { entity: "workflow", id }));
    if (count === 0) throw new NotFoundError("workflow", id);
    const row = await em.findOneOrFail(WorkflowEntity, { id }, { populate: ["definition"] });
    return toRecord(row);
  }

  /**
   * Deletes a workflow with its versions, triggers and finished runs. Refused with a ConflictError
   * while a run of it is queued, running, paused or waiting.
   */
  async delete(id: string): Promise<void> {
    await fork(this.#ctx).transactional(async (em) => {
      // The row lock makes a run created concurrently wait for (and then fail on) the delete.
      const found = await em.execute('select id from "workflows" where id = ? for update', [id]);
      if (found.length === 0) throw new NotFoundError("workflow", id);
      const active = await em.execute<{ n: string }[]>(
        `select count(*)::text as n from "runs" where workflow_id = ? and status in (${ACTIVE_SQL})`,
        [id],
      );
      const n = Number(active[0]?.n ?? 0);
      if (n > 0)
        throw new ConflictError(`workflow ${id} has ${n} active run(s); cancel them or wait before deleting`, {
          entity: "workflow",
          id,
          activeRuns: n,
        });
      await em.execute('delete from "workflows" where id = ?', [id]);
    });
  }

  /**
   * Publishes an immutable version and marks it the latest, in one transaction. The first publish
   * moves a draft workflow to `active`.
   */
  async publish(workflowId: string, input: PublishInput): Promise<WorkflowVersionRecord> {
    checkPublish(workflowId, input);
    return fork(this.#ctx).transactional((em) => publishIn(em, workflowId, input));
  }

  /**
   * Publishes a version and creates a `queued` run of it in one transaction (a definition run
   * directly): when the run cannot be created (an unknown parent run, input PostgreSQL refuses), no
   * version is published and the workflow's status and latest version are unchanged.
   */
  async publishAndCreateRun(
    workflowId: string,
    input: PublishInput,
    run: Omit<CreateRunInput, "workflowId" | "workflowVersionId" | "version" | "id">,
  ): Promise<{ version: WorkflowVersionRecord; runId: string }> {
    checkPublish(workflowId, input);
    const runId = newId();
    return fork(this.#ctx).transactional(async (em) => {
      const version = await publishIn(em, workflowId, input);
      const { text, values } = createRunQuery({ ...run, id: runId, workflowId, workflowVersionId: version.id });
      const rows = await em
        .execute<{ version_id: string | null }[]>(text, values)
        .catch((e) => translateDbError(e, { entity: "run" }));
      if (!rows[0]?.version_id) throw new NotFoundError("workflow version", version.id);
      return { version, runId };
    });
  }

  /** A version by semver, or `"latest"`. */
  async getVersion(workflowId: string, version: string): Promise<WorkflowVersionRecord | undefined> {
    if (typeof workflowId !== "string" || !UUID.test(workflowId) || typeof version !== "string") return undefined;
    refuseNul({ version });
    const pool = await this.#pool();
    const result = await pool.query<RawVersionRow>({
      name: "weft_get_workflow_version",
      text: GET_VERSION_SQL,
      values: [workflowId, version],
    });
    const raw = result.rows[0];
    return raw ? toVersionRecord(fromRawVersion(raw)) : undefined;
  }

  async getVersionById(id: string): Promise<WorkflowVersionRecord | undefined> {
    if (typeof id !== "string" || !UUID.test(id)) return undefined;
    const pool = await this.#pool();
    const result = await pool.query<RawVersionRow>({
      name: "weft_get_workflow_version_by_id",
      text: GET_VERSION_BY_ID_SQL,
      values: [id],
    });
    const raw = result.rows[0];
    return raw ? toVersionRecord(fromRawVersion(raw)) : undefined;
  }

  /** Every version of a workflow, newest first. */
  async listVersions(workflowId: string): Promise<WorkflowVersionRecord[]> {
    const rows = await fork(this.#ctx).find(
      WorkflowVersionEntity,
      { workflowId },
      { orderBy: { publishedAt: "desc" } },
    );
    return rows.map(toVersionRecord);
  }
}

// The audit trail: who did what to which object, with before/after. Append-only — the table has a
// trigger that refuses UPDATE and DELETE, so not even a bug here can rewrite history.
import type { InferEntity } from "@mikro-orm/core";
import { AuditEventEntity } from "../entities.ts";
import { translateDbError } from "../errors.ts";
import type { AuditEventRecord, Json, Page, PageOptions, TimeInput } from "../records.ts";
import { fork, iso, jsonOrNull, pageOf, type RepositoryContext, refuseNul, requireText, toDate } from "./shared.ts";

export interface AuditInput {
  /** User, API key or `system:<component>`. */
  actor: string;
  /** Dotted verb, e.g. `workflow.publish`, `approval.decide`. */
  action: string;
  /** The object acted on: `{ type, id }`, or `"<type>:<id>"` (a string without `:` is a type). */
  target: string | { type: string; id?: string | null };
  before?: Json;
  after?: Json;
}

export interface AuditFilter extends PageOptions {
  actor?: string;
  action?: string;
  targetType?: string;
  targetId?: string;
  since?: TimeInput;
}

type AuditRow = InferEntity<typeof AuditEventEntity>;

function toRecord(row: AuditRow): AuditEventRecord {
  return {
    id: String(row.id),
    actor: row.actor,
    action: row.action,
    targetType: row.targetType,
    targetId: row.targetId ?? null,
    before: row.before ?? null,
    after: row.after ?? null,
    at: iso(row.at),
  };
}

function parseTarget(target: string): { type: string; id: string | null } {
  const cut = target.indexOf(":");
  return cut < 0 ? { type: target, id: null } : { type: target.slice(0, cut), id: target.slice(cut + 1) };
}

/** Records and lists audit events. */
export class AuditRepository {
  readonly #ctx: RepositoryContext;
  constructor(ctx: RepositoryContext) {
    this.#ctx = ctx;
  }

  async record(input: AuditInput): Promise<AuditEventRecord> {
    const target = typeof input.target === "string" ? parseTarget(input.target) : input.target;
    const row = {
      actor: requireText(input.actor, "actor"),
      action: requireText(input.action, "action"),
      targetType: requireText(target?.type, "target.type"),
      targetId: target?.id ?? null,
      before: jsonOrNull(input.before),
      after: jsonOrNull(input.after),
      at: new Date(),
    };
    refuseNul(row, { entity: "audit_event" });
    const id = await fork(this.#ctx)
      .insert(AuditEventEntity, row)
      .catch((e) => translateDbError(e, { entity: "audit_event" }));
    return toRecord({ ...row, id: String(id) } as AuditRow);
  }

  /** Newest first. */
  async list(filter: AuditFilter = {}): Promise<Page<AuditEventRecord>> {
    const { limit, offset } = pageOf(filter);
    refuseNul({ actor: filter.actor, action: filter.action, targetType: filter.targetType, targetId: filter.targetId });
    const where: Record<string, unknown> = {};
    if (filter.actor !== undefined) where.actor = filter.actor;
    if (filter.action !== undefined) where.action = filter.action;
    if (filter.targetType !== undefined) where.targetType = filter.targetType;
    if (filter.targetId !== undefined) where.targetId = filter.targetId;
    if (filter.since !== undefined) where.at = { $gte: toDate(filter.since, "since") };
    const [rows, total] = await fork(this.#ctx).findAndCount(AuditEventEntity, where, {
      orderBy: { id: "desc" },
      limit,
      offset,
    });
    return { items: rows.map(toRecord), total };
  }
}

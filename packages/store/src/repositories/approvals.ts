// Approvals: a suspended approval node waits on one of these rows. A decision is taken exactly once:
// the update only matches a row that is still pending, so concurrent deciders race inside PostgreSQL
// and every loser gets a ConflictError.
import type { InferEntity } from "@mikro-orm/core";
import { ApprovalEntity } from "../entities.ts";
import { ConflictError, NotFoundError, translateDbError, ValidationError } from "../errors.ts";
import type { ApprovalRecord, ApprovalStatus, Json, TimeInput } from "../records.ts";
import {
  fork,
  iso,
  jsonOrNull,
  newId,
  oneOf,
  type RepositoryContext,
  refuseNul,
  requireText,
  toDate,
} from "./shared.ts";

export interface CreateApprovalInput {
  runId: string;
  nodeId: string;
  title?: string | null;
  details?: Json;
  approverRole?: string | null;
  approverUser?: string | null;
  expiresAt?: TimeInput | null;
  /** Role the approval moves to when it expires undecided (see `escalateDue`). */
  escalateToRole?: string | null;
}

export interface DecisionInput {
  decision: "approved" | "rejected";
  by: string;
  comment?: string | null;
}

export interface DelegationInput {
  /** The user who delegates (recorded). */
  by: string;
  toUser?: string | null;
  toRole?: string | null;
}

type ApprovalRow = InferEntity<typeof ApprovalEntity>;

function toRecord(row: ApprovalRow): ApprovalRecord {
  return {
    id: row.id,
    runId: row.runId,
    nodeId: row.nodeId,
    title: row.title ?? null,
    details: row.details ?? null,
    approverRole: row.approverRole ?? null,
    approverUser: row.approverUser ?? null,
    status: row.status as ApprovalStatus,
    expiresAt: iso(row.expiresAt),
    escalateToRole: row.escalateToRole ?? null,
    escalatedAt: iso(row.escalatedAt),
    delegatedBy: row.delegatedBy ?? null,
    delegatedAt: iso(row.delegatedAt),
    comment: row.comment ?? null,
    decidedBy: row.decidedBy ?? null,
    decidedAt: iso(row.decidedAt),
    createdAt: iso(row.createdAt),
  };
}

/** Approval requests and their decisions. */
export class ApprovalRepository {
  readonly #ctx: RepositoryContext;
  constructor(ctx: RepositoryContext) {
    this.#ctx = ctx;
  }

  async create(input: CreateApprovalInput): Promise<ApprovalRecord> {
    const row = {
      id: newId(),
      runId: input.runId,
      nodeId: requireText(input.nodeId, "nodeId"),
      title: input.title ?? null,
      details: jsonOrNull(input.details),
      approverRole: input.approverRole ?? null,
      approverUser: input.approverUser ?? null,
      status: "pending",
      expiresAt: toDate(input.expiresAt, "expiresAt"),
      escalateToRole: input.escalateToRole ?? null,
      escalatedAt: null,
      delegatedBy: null,
      delegatedAt: null,
      comment: null,
      decidedBy: null,
      decidedAt: null,
      createdAt: new Date(),
    };
    refuseNul(row, { entity: "approval" });
    await fork(this.#ctx)
      .insert(ApprovalEntity, row)
      .catch((e) => translateDbError(e, { entity: "approval" }));
    return toRecord(row);
  }

  async get(id: string): Promise<ApprovalRecord | undefined> {
    const row = await fork(this.#ctx).findOne(ApprovalEntity, { id });
    return row ? toRecord(row) : undefined;
  }

  /** Pending approvals, soonest expiry first; optionally only those for a role, a user or a run. */
  async listPending(filter: { role?: string; user?: string; runId?: string } = {}): Promise<ApprovalRecord[]> {
    refuseNul(filter);
    const where: Record<string, unknown> = { status: "pending" };
    if (filter.role !== undefined) where.approverRole = filter.role;
    if (filter.user !== undefined) where.approverUser = filter.user;
    if (filter.runId !== undefined) where.runId = filter.runId;
    const rows = await fork(this.#ctx).find(ApprovalEntity, where, {
      orderBy: { expiresAt: "asc nulls last", createdAt: "asc" },
    });
    return rows.map(toRecord);
  }

  /** Every approval of a run (any status). */
  async listForRun(runId: string): Promise<ApprovalRecord[]> {
    const rows = await fork(this.#ctx).find(ApprovalEntity, { runId }, { orderBy: { createdAt: "asc" } });
    return rows.map(toRecord);
  }

  /**
   * Approves or rejects, exactly once. A second (or concurrent) decision, or a decision after the
   * approval expired, throws ConflictError; an unknown id throws NotFoundError.
   */
  async decide(id: string, input: DecisionInput): Promise<ApprovalRecord> {
    const decision = oneOf(input.decision, ["approved", "rejected"] as const, "decision");
    const by = requireText(input.by, "by");
    refuseNul({ by, comment: input.comment }, { entity: "approval", id });
    const now = new Date();
    const em = fork(this.#ctx);
    const updated = await em.nativeUpdate(
      ApprovalEntity,
      { id, status: "pending", $or: [{ expiresAt: null }, { expiresAt: { $gt: now } }] },
      { status: decision, decidedBy: by, decidedAt: now, comment: input.comment ?? null },
    );
    const row = await em.findOne(ApprovalEntity, { id });
    if (!row) throw new NotFoundError("approval", id);
    if (updated === 0) {
      const expired = row.status === "expired" || (row.status === "pending" && row.expiresAt && row.expiresAt <= now);
      throw new ConflictError(
        expired ? `approval ${id} expired` : `approval ${id} was already ${row.status} by ${row.decidedBy}`,
        { entity: "approval", id, status: expired ? "expired" : row.status, decidedBy: row.decidedBy ?? null },
      );
    }
    return toRecord(row);
  }

  /** Hands a pending approval to another user and/or role. */
  async delegate(id: string, input: DelegationInput): Promise<ApprovalRecord> {
    if (!input.toUser && !input.toRole)
      throw new ValidationError("delegation needs toUser or toRole", { field: "toUser" });
    const data: Record<string, unknown> = { delegatedBy: requireText(input.by, "by"), delegatedAt: new Date() };
    if (input.toUser !== undefined) data.approverUser = input.toUser;
    if (input.toRole !== undefined) data.approverRole = input.toRole;
    refuseNul(data, { entity: "approval", id });
    const em = fork(this.#ctx);
    const updated = await em.nativeUpdate(ApprovalEntity, { id, status: "pending" }, data);
    const row = await em.findOne(ApprovalEntity, { id });
    if (!row) throw new NotFoundError("approval", id);
    if (updated === 0)
      throw new ConflictError(`approval ${id} is ${row.status}; only pending approvals can be delegated`, {
        entity: "approval",
        id,
        status: row.status,
      });
    return toRecord(row);
  }

  /**
   * Moves expired pending approvals that name an `escalateToRole` (and were not escalated yet) to
   * that role, with no expiry. Returns the escalated approvals.
   */
  async escalateDue(now: Date = new Date()): Promise<ApprovalRecord[]> {
    const rows = await fork(this.#ctx).execute<ApprovalRow[]>(
      `update "approvals" set approver_role = escalate_to_role, escalated_at = ?, expires_at = null
       where status = 'pending' and expires_at <= ? and escalate_to_role is not null and escalated_at is null
       returning id`,
      [now, now],
    );
    return this.#reload(rows.map((r) => r.id));
  }

  /** Marks expired pending approvals with nowhere to escalate as `expired`; returns them. */
  async expireDue(now: Date = new Date()): Promise<ApprovalRecord[]> {
    const rows = await fork(this.#ctx).execute<ApprovalRow[]>(
      `update "approvals" set status = 'expired', decided_at = ?
       where status = 'pending' and expires_at <= ? and (escalate_to_role is null or escalated_at is not null)
       returning id`,
      [now, now],
    );
    return this.#reload(rows.map((r) => r.id));
  }

  async #reload(ids: string[]): Promise<ApprovalRecord[]> {
    if (ids.length === 0) return [];
    const rows = await fork(this.#ctx).find(ApprovalEntity, { id: { $in: ids } }, { orderBy: { createdAt: "asc" } });
    return rows.map(toRecord);
  }
}

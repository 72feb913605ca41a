// Notifications the engine sends (or queues) to people: approval requests, run failures, ...
import type { InferEntity } from "@mikro-orm/core";
import { NotificationEntity } from "../entities.ts";
import { NotFoundError, translateDbError } from "../errors.ts";
import type { Json, NotificationRecord, NotificationStatus, Page, PageOptions } from "../records.ts";
import {
  fork,
  iso,
  jsonOrNull,
  newId,
  oneOf,
  pageOf,
  type RepositoryContext,
  refuseNul,
  requireText,
} from "./shared.ts";

const STATUSES: readonly NotificationStatus[] = ["pending", "sent", "failed", "read"];

export interface CreateNotificationInput {
  runId?: string | null;
  /** `email`, `slack`, `in-app`, ... */
  channel: string;
  recipient: string;
  subject?: string | null;
  body?: string | null;
  data?: Json;
}

export interface NotificationFilter extends PageOptions {
  recipient?: string;
  status?: NotificationStatus;
  runId?: string;
}

type NotificationRow = InferEntity<typeof NotificationEntity>;

function toRecord(row: NotificationRow): NotificationRecord {
  return {
    id: row.id,
    runId: row.runId ?? null,
    channel: row.channel,
    recipient: row.recipient,
    subject: row.subject ?? null,
    body: row.body ?? null,
    data: row.data ?? null,
    status: row.status as NotificationStatus,
    error: row.error ?? null,
    createdAt: iso(row.createdAt),
    sentAt: iso(row.sentAt),
    readAt: iso(row.readAt),
  };
}

/** Notification records and their delivery status. */
export class NotificationRepository {
  readonly #ctx: RepositoryContext;
  constructor(ctx: RepositoryContext) {
    this.#ctx = ctx;
  }

  async create(input: CreateNotificationInput): Promise<NotificationRecord> {
    const row = {
      id: newId(),
      runId: input.runId ?? null,
      channel: requireText(input.channel, "channel"),
      recipient: requireText(input.recipient, "recipient"),
      subject: input.subject ?? null,
      body: input.body ?? null,
      data: jsonOrNull(input.data),
      status: "pending",
      error: null,
      createdAt: new Date(),
      sentAt: null,
      readAt: null,
    };
    refuseNul(row, { entity: "notification" });
    await fork(this.#ctx)
      .insert(NotificationEntity, row)
      .catch((e) => translateDbError(e, { entity: "notification" }));
    return toRecord(row);
  }

  async get(id: string): Promise<NotificationRecord | undefined> {
    const row = await fork(this.#ctx).findOne(NotificationEntity, { id });
    return row ? toRecord(row) : undefined;
  }

  /** Newest first. */
  async list(filter: NotificationFilter = {}): Promise<Page<NotificationRecord>> {
    const { limit, offset } = pageOf(filter);
    refuseNul({ recipient: filter.recipient, runId: filter.runId });
    const where: Record<string, unknown> = {};
    if (filter.recipient !== undefined) where.recipient = filter.recipient;
    if (filter.status !== undefined) where.status = oneOf(filter.status, STATUSES, "status");
    if (filter.runId !== undefined) where.runId = filter.runId;
    const [rows, total] = await fork(this.#ctx).findAndCount(NotificationEntity, where, {
      orderBy: { createdAt: "desc", id: "asc" },
      limit,
      offset,
    });
    return { items: rows.map(toRecord), total };
  }

  async markSent(id: string): Promise<NotificationRecord> {
    return this.#set(id, { status: "sent", sentAt: new Date(), error: null });
  }

  async markFailed(id: string, error: string): Promise<NotificationRecord> {
    return this.#set(id, { status: "failed", error });
  }

  async markRead(id: string): Promise<NotificationRecord> {
    return this.#set(id, { status: "read", readAt: new Date() });
  }

  async #set(id: string, data: Record<string, unknown>): Promise<NotificationRecord> {
    refuseNul(data, { entity: "notification", id });
    const em = fork(this.#ctx);
    const count = await em.nativeUpdate(NotificationEntity, { id }, data);
    if (count === 0) throw new NotFoundError("notification", id);
    return toRecord(await em.findOneOrFail(NotificationEntity, { id }));
  }
}

// Triggers of a workflow. Webhook secrets are sealed like credentials and only come back out through
// `webhook(id)`, the lookup the webhook endpoint makes to verify a call.
import { randomBytes } from "node:crypto";
import type { InferEntity } from "@mikro-orm/core";
import type { SecretCipher } from "../crypto.ts";
import { TriggerEntity } from "../entities.ts";
import { NotFoundError, translateDbError, ValidationError } from "../errors.ts";
import type { Json, TimeInput, TriggerKind, TriggerRecord } from "../records.ts";
import {
  findNul,
  fork,
  iso,
  jsonOrNull,
  newId,
  oneOf,
  type RepositoryContext,
  refuseNul,
  requireText,
  toDate,
  UUID,
} from "./shared.ts";

const KINDS: readonly TriggerKind[] = ["manual", "schedule", "webhook", "event"];

export interface CreateTriggerInput {
  workflowId: string;
  kind: TriggerKind;
  enabled?: boolean;
  /** Required for `schedule`: a cron expression (evaluated by the scheduler, e.g. with croner). */
  cron?: string | null;
  /** IANA time zone of the cron expression (default UTC). */
  timezone?: string | null;
  /** For `event`: the event name that fires it. */
  eventName?: string | null;
  /** For `webhook`: the signing secret; generated (32 random bytes, hex) when absent. */
  secret?: string | null;
  config?: Json;
  /** For `schedule`: the first due time, computed by the scheduler. */
  nextRunAt?: TimeInput | null;
}

export type UpdateTriggerInput = Partial<Omit<CreateTriggerInput, "workflowId" | "kind">>;

type TriggerRow = InferEntity<typeof TriggerEntity>;

function toRecord(row: TriggerRow): TriggerRecord {
  return {
    id: row.id,
    workflowId: row.workflowId,
    kind: row.kind as TriggerKind,
    enabled: row.enabled,
    cron: row.cron ?? null,
    timezone: row.timezone ?? null,
    eventName: row.eventName ?? null,
    hasSecret: row.secretCiphertext != null,
    config: row.config ?? null,
    nextRunAt: iso(row.nextRunAt),
    lastRunAt: iso(row.lastRunAt),
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

/** Trigger CRUD, due schedules and webhook lookup. */
export class TriggerRepository {
  readonly #ctx: RepositoryContext;
  readonly #cipher: SecretCipher;
  constructor(ctx: RepositoryContext, cipher: SecretCipher) {
    this.#ctx = ctx;
    this.#cipher = cipher;
  }

  #seal(id: string, secret: string): string {
    // The key id travels inside the sealed text for triggers: `<keyId>:<sealed>`.
    const sealed = this.#cipher.seal(secret, `trigger:${id}`);
    return `${sealed.keyId}:${sealed.ciphertext}`;
  }

  async create(input: CreateTriggerInput): Promise<TriggerRecord> {
    const kind = oneOf(input.kind, KINDS, "kind");
    if (kind === "schedule" && !input.cron)
      throw new ValidationError("a schedule trigger needs a cron expression", { field: "cron" });
    if (kind === "event" && !input.eventName)
      throw new ValidationError("an event trigger needs an eventName", { field: "eventName" });
    const id = newId();
    const now = new Date();
    const secret = kind === "webhook" ? (input.secret ?? randomBytes(32).toString("hex")) : null;
    const row = {
      id,
      workflowId: input.workflowId,
      kind,
      enabled: input.enabled ?? true,
      cron: input.cron ?? null,
      timezone: input.timezone ?? (kind === "schedule" ? "UTC" : null),
      eventName: input.eventName ?? null,
      secretCiphertext: secret ? this.#seal(id, secret) : null,
      config: jsonOrNull(input.config),
      nextRunAt: toDate(input.nextRunAt, "nextRunAt"),
      lastRunAt: null,
      createdAt: now,
      updatedAt: now,
    };
    refuseNul(row, { entity: "trigger" });
    await fork(this.#ctx)
      .insert(TriggerEntity, row)
      .catch((e) => translateDbError(e, { entity: "trigger" }));
    return toRecord(row);
  }

  async get(id: string): Promise<TriggerRecord | undefined> {
    const row = await fork(this.#ctx).findOne(TriggerEntity, { id });
    return row ? toRecord(row) : undefined;
  }

  async listForWorkflow(workflowId: string): Promise<TriggerRecord[]> {
    const rows = await fork(this.#ctx).find(TriggerEntity, { workflowId }, { orderBy: { createdAt: "asc" } });
    return rows.map(toRecord);
  }

  async update(id: string, patch: UpdateTriggerInput): Promise<TriggerRecord> {
    const data: Record<string, unknown> = { updatedAt: new Date() };
    if (patch.enabled !== undefined) data.enabled = patch.enabled;
    if (patch.cron !== undefined) data.cron = patch.cron;
    if (patch.timezone !== undefined) data.timezone = patch.timezone;
    if (patch.eventName !== undefined) data.eventName = patch.eventName;
    if (patch.config !== undefined) data.config = patch.config;
    if (patch.nextRunAt !== undefined) data.nextRunAt = toDate(patch.nextRunAt, "nextRunAt");
    if (patch.secret) data.secretCiphertext = this.#seal(id, patch.secret);
    refuseNul(data, { entity: "trigger", id });
    const em = fork(this.#ctx);
    const count = await em
      .nativeUpdate(TriggerEntity, { id }, data)
      .catch((e) => translateDbError(e, { entity: "trigger", id }));
    if (count === 0) throw new NotFoundError("trigger", id);
    return toRecord(await em.findOneOrFail(TriggerEntity, { id }));
  }

  async delete(id: string): Promise<void> {
    const count = await fork(this.#ctx).nativeDelete(TriggerEntity, { id });
    if (count === 0) throw new NotFoundError("trigger", id);
  }

  /** Enabled schedule triggers whose `nextRunAt` is at or before `now`, most overdue first. */
  async due(now: Date = new Date(), limit = 100): Promise<TriggerRecord[]> {
    const rows = await fork(this.#ctx).find(
      TriggerEntity,
      { kind: "schedule", enabled: true, nextRunAt: { $lte: now } },
      { orderBy: { nextRunAt: "asc" }, limit },
    );
    return rows.map(toRecord);
  }

  /**
   * Enabled schedule triggers without a due time (created without `nextRunAt`), for the scheduler
   * to compute one.
   */
  async unscheduled(limit = 100): Promise<TriggerRecord[]> {
    const rows = await fork(this.#ctx).find(
      TriggerEntity,
      { kind: "schedule", enabled: true, nextRunAt: null },
      { orderBy: { createdAt: "asc" }, limit },
    );
    return rows.map(toRecord);
  }

  /**
   * Sets a schedule's first due time only while it has none, so schedulers racing to initialise it
   * write it once. Returns false when another did.
   */
  async schedule(id: string, nextRunAt: TimeInput): Promise<boolean> {
    const count = await fork(this.#ctx).nativeUpdate(
      TriggerEntity,
      { id, nextRunAt: null },
      { nextRunAt: toDate(nextRunAt, "nextRunAt"), updatedAt: new Date() },
    );
    return count > 0;
  }

  /**
   * Records that a schedule fired and sets its next due time, only if nobody else did since it was
   * read (`expectedNextRunAt`). Returns false when another scheduler instance got there first, so
   * each due time fires once across API processes.
   */
  async advance(id: string, expectedNextRunAt: TimeInput, nextRunAt: TimeInput | null): Promise<boolean> {
    const now = new Date();
    const count = await fork(this.#ctx).nativeUpdate(
      TriggerEntity,
      { id, nextRunAt: toDate(expectedNextRunAt, "expectedNextRunAt") },
      { lastRunAt: now, nextRunAt: toDate(nextRunAt, "nextRunAt"), updatedAt: now },
    );
    return count > 0;
  }

  /** Enabled event triggers listening for `eventName`. */
  async forEvent(eventName: string): Promise<TriggerRecord[]> {
    // No trigger can be listening for a name PostgreSQL could not have stored.
    if (findNul(eventName)) return [];
    const rows = await fork(this.#ctx).find(TriggerEntity, { kind: "event", enabled: true, eventName });
    return rows.map(toRecord);
  }

  /** An enabled webhook trigger and its plaintext secret, or undefined. */
  async webhook(id: string): Promise<{ trigger: TriggerRecord; secret: string } | undefined> {
    const row = await fork(this.#ctx).findOne(TriggerEntity, { id, kind: "webhook", enabled: true });
    if (!row?.secretCiphertext) return undefined;
    const cut = row.secretCiphertext.indexOf(":");
    const secret = this.#cipher.open(
      row.secretCiphertext.slice(cut + 1),
      row.secretCiphertext.slice(0, cut),
      `trigger:${id}`,
    );
    return { trigger: toRecord(row), secret };
  }

  /**
   * Records an accepted webhook delivery, keyed by trigger and signature, in one
   * `INSERT … ON CONFLICT DO NOTHING`: returns false when the pair was already recorded, by this process
   * or any other on the same database, so exactly one of concurrent identical deliveries gets true.
   * Deliveries of the same trigger received more than `retainSec` before `at` are deleted first; that
   * keeps the table at about one replay window of rows per trigger without a sweeper (the primary key
   * starts with `trigger_id`, so the delete only reads that trigger's rows).
   */
  async recordDelivery(
    triggerId: string,
    signature: string,
    at: TimeInput = new Date(),
    retainSec = 600,
  ): Promise<boolean> {
    if (!UUID.test(triggerId)) throw new ValidationError("triggerId must be a UUID", { field: "triggerId" });
    requireText(signature, "signature");
    if (findNul(signature)) throw new ValidationError("signature contains a NUL character", { field: "signature" });
    if (!(retainSec >= 0)) throw new ValidationError("retainSec must be >= 0", { field: "retainSec" });
    const receivedAt = toDate(at, "at");
    const em = fork(this.#ctx);
    await em.execute(`delete from "webhook_deliveries" where "trigger_id" = ? and "received_at" < ?`, [
      triggerId,
      new Date(receivedAt.getTime() - retainSec * 1000),
    ]);
    const inserted = await em
      .execute<{ trigger_id: string }[]>(
        `insert into "webhook_deliveries" ("trigger_id", "signature", "received_at") values (?, ?, ?)
         on conflict ("trigger_id", "signature") do nothing returning "trigger_id"`,
        [triggerId, signature, receivedAt],
      )
      .catch((e) => translateDbError(e, { entity: "webhook_delivery", triggerId }));
    return inserted.length > 0;
  }

  /**
   * Forgets a recorded delivery, so the sender may deliver it again: for a delivery that was recorded
   * but whose run could not be started. Returns false when it was not recorded.
   */
  async forgetDelivery(triggerId: string, signature: string): Promise<boolean> {
    if (!UUID.test(triggerId) || findNul(signature)) return false;
    const result = await fork(this.#ctx).execute<{ affectedRows: number }>(
      `delete from "webhook_deliveries" where "trigger_id" = ? and "signature" = ?`,
      [triggerId, signature],
      "run",
    );
    return result.affectedRows > 0;
  }
}

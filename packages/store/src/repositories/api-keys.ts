// API keys: the plaintext is shown once at creation; the table keeps only its SHA-256. A key has 256
// random bits, so a fast unsalted hash is enough (no dictionary to attack) and lookups stay indexed.
import { createHash, randomBytes } from "node:crypto";
import type { InferEntity } from "@mikro-orm/core";
import { ApiKeyEntity } from "../entities.ts";
import { NotFoundError, translateDbError } from "../errors.ts";
import type { ApiKeyRecord, ApiKeyRole } from "../records.ts";
import { fork, iso, newId, oneOf, type RepositoryContext, requireText } from "./shared.ts";

const ROLES: readonly ApiKeyRole[] = ["viewer", "editor", "operator", "admin"];
const PREFIX = "weft_";
/** Refresh `lastUsedAt` at most this often per key, so verifying stays a read. */
const LAST_USED_RESOLUTION_MS = 60_000;

type ApiKeyRow = InferEntity<typeof ApiKeyEntity>;

const hashOf = (key: string): string => createHash("sha256").update(key, "utf8").digest("hex");

function toRecord(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    role: row.role as ApiKeyRole,
    prefix: row.prefix,
    createdAt: iso(row.createdAt),
    lastUsedAt: iso(row.lastUsedAt),
    revokedAt: iso(row.revokedAt),
  };
}

/** API keys with roles. */
export class ApiKeyRepository {
  readonly #ctx: RepositoryContext;
  constructor(ctx: RepositoryContext) {
    this.#ctx = ctx;
  }

  /** Creates a key; `key` is the plaintext, returned this once and never stored. */
  async create(input: { name: string; role: ApiKeyRole }): Promise<{ key: string; record: ApiKeyRecord }> {
    const key = `${PREFIX}${randomBytes(32).toString("base64url")}`;
    const row = {
      id: newId(),
      name: requireText(input.name, "name"),
      role: oneOf(input.role, ROLES, "role"),
      keyHash: hashOf(key),
      prefix: key.slice(0, PREFIX.length + 6),
      createdAt: new Date(),
      lastUsedAt: null,
      revokedAt: null,
    };
    await fork(this.#ctx)
      .insert(ApiKeyEntity, row)
      .catch((e) => translateDbError(e, { entity: "api_key" }));
    return { key, record: toRecord(row) };
  }

  /** The key's id, name and role when it exists and is not revoked. */
  async verify(plaintext: string): Promise<{ id: string; name: string; role: ApiKeyRole } | undefined> {
    if (typeof plaintext !== "string" || !plaintext.startsWith(PREFIX)) return undefined;
    const em = fork(this.#ctx);
    const row = await em.findOne(ApiKeyEntity, { keyHash: hashOf(plaintext), revokedAt: null });
    if (!row) return undefined;
    const now = new Date();
    if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS)
      await em.nativeUpdate(ApiKeyEntity, { id: row.id }, { lastUsedAt: now });
    return { id: row.id, name: row.name, role: row.role as ApiKeyRole };
  }

  async revoke(id: string): Promise<void> {
    const em = fork(this.#ctx);
    const count = await em.nativeUpdate(ApiKeyEntity, { id, revokedAt: null }, { revokedAt: new Date() });
    if (count === 0 && !(await em.findOne(ApiKeyEntity, { id }))) throw new NotFoundError("api key", id);
  }

  async list(): Promise<ApiKeyRecord[]> {
    const rows = await fork(this.#ctx).find(ApiKeyEntity, {}, { orderBy: { createdAt: "asc" } });
    return rows.map(toRecord);
  }
}

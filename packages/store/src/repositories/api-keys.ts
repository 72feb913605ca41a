// API keys: the plaintext is shown once at creation; the table keeps only its SHA-256. A generated key
// has 256 random bits, so a fast unsalted hash is enough (no dictionary to attack) and lookups stay
// indexed. A caller-supplied key (an operator's WEFT_ADMIN_API_KEY) must be long enough to share that.
import { createHash, randomBytes } from "node:crypto";
import type { InferEntity } from "@mikro-orm/core";
import { ApiKeyEntity } from "../entities.ts";
import { NotFoundError, translateDbError, ValidationError } from "../errors.ts";
import type { ApiKeyRecord, ApiKeyRole } from "../records.ts";
import { fork, iso, newId, oneOf, type RepositoryContext, refuseNul, requireText } from "./shared.ts";

const ROLES: readonly ApiKeyRole[] = ["viewer", "editor", "operator", "admin"];
const PREFIX = "weft_";
/** Shortest caller-supplied key accepted. */
const MIN_SUPPLIED_KEY_LENGTH = 16;
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

  /**
   * Creates a key and returns its plaintext (`key`), which is never stored. Without `input.key` a
   * random one is generated. With it (e.g. WEFT_ADMIN_API_KEY, at least 16 characters), only its hash
   * is stored, and creating it again is a no-op: the existing key's record comes back with
   * `created: false`, its name, role and revocation unchanged.
   */
  async create(input: {
    name: string;
    role: ApiKeyRole;
    key?: string;
  }): Promise<{ key: string; record: ApiKeyRecord; created: boolean }> {
    const name = requireText(input.name, "name");
    refuseNul({ name }, { entity: "api_key" });
    const role = oneOf(input.role, ROLES, "role");
    if (input.key !== undefined) {
      if (typeof input.key !== "string" || input.key.length < MIN_SUPPLIED_KEY_LENGTH || /\s/.test(input.key))
        throw new ValidationError(
          `key must be a string of at least ${MIN_SUPPLIED_KEY_LENGTH} characters without whitespace`,
          { field: "key" },
        );
    }
    const key = input.key ?? `${PREFIX}${randomBytes(32).toString("base64url")}`;
    const row = {
      id: newId(),
      name,
      role,
      keyHash: hashOf(key),
      // A supplied key may be short and guessable in part: show less of it.
      prefix: input.key === undefined ? key.slice(0, PREFIX.length + 6) : key.slice(0, 4),
      createdAt: new Date(),
      lastUsedAt: null,
      revokedAt: null,
    };
    const em = fork(this.#ctx);
    // One statement: concurrent seeders of the same key insert it once and all read the same row.
    const inserted = await em
      .execute<{ id: string }[]>(
        `insert into "api_keys" ("id", "name", "role", "key_hash", "prefix", "created_at")
         values (?, ?, ?, ?, ?, ?) on conflict ("key_hash") do nothing returning "id"`,
        [row.id, row.name, row.role, row.keyHash, row.prefix, row.createdAt],
      )
      .catch((e) => translateDbError(e, { entity: "api_key" }));
    if (inserted.length > 0) return { key, record: toRecord(row), created: true };
    const existing = await em.findOneOrFail(ApiKeyEntity, { keyHash: row.keyHash });
    return { key, record: toRecord(existing), created: false };
  }

  /** The key's id, name and role when it exists and is not revoked. */
  async verify(plaintext: string): Promise<{ id: string; name: string; role: ApiKeyRole } | undefined> {
    if (typeof plaintext !== "string" || plaintext.length === 0) return undefined;
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

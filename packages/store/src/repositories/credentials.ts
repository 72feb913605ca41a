// Credentials: values sealed with AES-256-GCM before they reach the database. `list`/`get` never
// return values; only `resolve` opens them, for the runtime that hands them to a node.
import type { InferEntity } from "@mikro-orm/core";
import type { SecretCipher } from "../crypto.ts";
import { CredentialEntity } from "../entities.ts";
import { NotFoundError, translateDbError, ValidationError } from "../errors.ts";
import type { CredentialRecord } from "../records.ts";
import { findNul, fork, iso, newId, type RepositoryContext, refuseNul, requireText } from "./shared.ts";

export interface CreateCredentialInput {
  name: string;
  /** The credential type a plugin declares, e.g. `jira.apiToken`. */
  type: string;
  values: Record<string, unknown>;
}

type CredentialRow = InferEntity<typeof CredentialEntity>;

function toRecord(row: CredentialRow): CredentialRecord {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    keyId: row.keyId,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

function checkValues(values: unknown): Record<string, unknown> {
  if (values === null || typeof values !== "object" || Array.isArray(values))
    throw new ValidationError("values must be an object", { field: "values" });
  return values as Record<string, unknown>;
}

/** Encrypted credentials. The AAD of each value is `credential:<name>`, so rows cannot be swapped. */
export class CredentialRepository {
  readonly #ctx: RepositoryContext;
  readonly #cipher: SecretCipher;
  constructor(ctx: RepositoryContext, cipher: SecretCipher) {
    this.#ctx = ctx;
    this.#cipher = cipher;
  }

  async create(input: CreateCredentialInput): Promise<CredentialRecord> {
    const name = requireText(input.name, "name");
    // The values are sealed (ciphertext is base64), so only the plain columns need the check.
    refuseNul({ name, type: input.type }, { entity: "credential" });
    const sealed = this.#cipher.seal(JSON.stringify(checkValues(input.values)), `credential:${name}`);
    const now = new Date();
    const row = {
      id: newId(),
      name,
      type: requireText(input.type, "type"),
      ciphertext: sealed.ciphertext,
      keyId: sealed.keyId,
      createdAt: now,
      updatedAt: now,
    };
    await fork(this.#ctx)
      .insert(CredentialEntity, row)
      .catch((e) => translateDbError(e, { entity: "credential", name }));
    return toRecord(row);
  }

  /** Replaces the values (and optionally the type) of a credential. */
  async update(name: string, input: { values: Record<string, unknown>; type?: string }): Promise<CredentialRecord> {
    refuseNul({ name, type: input.type }, { entity: "credential" });
    const sealed = this.#cipher.seal(JSON.stringify(checkValues(input.values)), `credential:${name}`);
    const data: Record<string, unknown> = { ciphertext: sealed.ciphertext, keyId: sealed.keyId, updatedAt: new Date() };
    if (input.type !== undefined) data.type = requireText(input.type, "type");
    const em = fork(this.#ctx);
    const count = await em.nativeUpdate(CredentialEntity, { name }, data);
    if (count === 0) throw new NotFoundError("credential", name);
    return toRecord(await em.findOneOrFail(CredentialEntity, { name }));
  }

  async list(): Promise<CredentialRecord[]> {
    const rows = await fork(this.#ctx).find(CredentialEntity, {}, { orderBy: { name: "asc" } });
    return rows.map(toRecord);
  }

  async get(name: string): Promise<CredentialRecord | undefined> {
    if (findNul(name)) return undefined;
    const row = await fork(this.#ctx).findOne(CredentialEntity, { name });
    return row ? toRecord(row) : undefined;
  }

  /** The decrypted values; NotFoundError when no credential has that name. */
  async resolve(name: string): Promise<{ type: string; values: Record<string, unknown> }> {
    const row = findNul(name) ? null : await fork(this.#ctx).findOne(CredentialEntity, { name });
    if (!row) throw new NotFoundError("credential", name);
    const values = JSON.parse(this.#cipher.open(row.ciphertext, row.keyId, `credential:${name}`));
    return { type: row.type, values };
  }

  async delete(name: string): Promise<void> {
    const count = findNul(name) ? 0 : await fork(this.#ctx).nativeDelete(CredentialEntity, { name });
    if (count === 0) throw new NotFoundError("credential", name);
  }

  /**
   * Re-seals every credential not sealed with the current key. A row that cannot be opened (unknown
   * key, altered ciphertext) is left as is and named in `failed`, so one bad row does not stop rotation.
   */
  async rotate(): Promise<{ resealed: number; failed: string[] }> {
    const em = fork(this.#ctx);
    const stale = await em.find(CredentialEntity, { keyId: { $ne: this.#cipher.keyId } }, { orderBy: { name: "asc" } });
    const failed: string[] = [];
    let resealed = 0;
    for (const row of stale) {
      let plaintext: string;
      try {
        plaintext = this.#cipher.open(row.ciphertext, row.keyId, `credential:${row.name}`);
      } catch {
        failed.push(row.name);
        continue;
      }
      const sealed = this.#cipher.seal(plaintext, `credential:${row.name}`);
      resealed += await em.nativeUpdate(
        CredentialEntity,
        { id: row.id, keyId: row.keyId },
        { ciphertext: sealed.ciphertext, keyId: sealed.keyId, updatedAt: new Date() },
      );
    }
    return { resealed, failed };
  }
}

// The store's error registry: every error it throws on purpose carries a stable WEFT_E_* code.
// Database errors are wrapped (keeping the driver error as `cause`) so callers never match on SQL text.
import {
  CheckConstraintViolationException,
  ForeignKeyConstraintViolationException,
  NotNullConstraintViolationException,
  UniqueConstraintViolationException,
} from "@mikro-orm/core";

/** The codes of the store's errors; documented in docs/errors.md. */
export const StoreErrorCode = {
  NotFound: "WEFT_E_STORE_NOT_FOUND",
  Conflict: "WEFT_E_STORE_CONFLICT",
  Validation: "WEFT_E_STORE_VALIDATION",
  EncryptionKey: "WEFT_E_STORE_ENCRYPTION_KEY",
  Decrypt: "WEFT_E_STORE_DECRYPT",
  Connection: "WEFT_E_STORE_CONNECTION",
} as const;
export type StoreErrorCode = (typeof StoreErrorCode)[keyof typeof StoreErrorCode];

/** Base class of every error the store throws on purpose. */
export class StoreError extends Error {
  readonly code: StoreErrorCode;
  /** Structured facts: the entity, id, field... Never secrets. */
  readonly details: Record<string, unknown>;
  constructor(code: StoreErrorCode, message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
}

/** The row does not exist (HTTP 404). */
export class NotFoundError extends StoreError {
  constructor(entity: string, id: string, options?: ErrorOptions) {
    super(StoreErrorCode.NotFound, `${entity} ${id} not found`, { entity, id }, options);
  }
}

/** The change contradicts the current state: a decided approval, a duplicate name, active runs (HTTP 409). */
export class ConflictError extends StoreError {
  constructor(message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(StoreErrorCode.Conflict, message, details, options);
  }
}

/** The input is malformed: bad semver, unknown status, a value the schema's checks refuse (HTTP 400). */
export class ValidationError extends StoreError {
  constructor(message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(StoreErrorCode.Validation, message, details, options);
  }
}

/** WEFT_ENCRYPTION_KEY (or a previous key) is not 32 bytes of base64/hex (startup error). */
export class EncryptionKeyError extends StoreError {
  constructor(message: string, options?: ErrorOptions) {
    super(StoreErrorCode.EncryptionKey, message, {}, options);
  }
}

/** A sealed value cannot be opened: unknown key id, or the ciphertext was altered. */
export class DecryptError extends StoreError {
  constructor(message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(StoreErrorCode.Decrypt, message, details, options);
  }
}

/** The database cannot be reached or migrated at startup. */
export class ConnectionError extends StoreError {
  constructor(message: string, options?: ErrorOptions) {
    super(StoreErrorCode.Connection, message, {}, options);
  }
}

/**
 * Maps constraint violations raised by PostgreSQL (as MikroORM exceptions, or raw driver errors with
 * a SQLSTATE `code`) to the store's typed errors; rethrows anything else unchanged.
 */
export function translateDbError(error: unknown, context: Record<string, unknown> = {}): never {
  if (error instanceof StoreError) throw error;
  const detail = error instanceof Error ? error.message : String(error);
  const sqlState = (error as { code?: unknown } | null)?.code;
  const options = { cause: error };
  if (error instanceof UniqueConstraintViolationException || sqlState === "23505")
    throw new ConflictError("a row with the same unique key already exists", { ...context, detail }, options);
  if (error instanceof ForeignKeyConstraintViolationException || sqlState === "23503")
    throw new ValidationError("a referenced row does not exist", { ...context, detail }, options);
  if (
    error instanceof CheckConstraintViolationException ||
    error instanceof NotNullConstraintViolationException ||
    sqlState === "23514" ||
    sqlState === "23502"
  )
    throw new ValidationError("a value was refused by the schema", { ...context, detail }, options);
  // 22P05/22021: text PostgreSQL cannot store (a NUL character in a JSON string, invalid UTF-8).
  if (sqlState === "22P05" || sqlState === "22021")
    throw new ValidationError("a value contains characters PostgreSQL cannot store", { ...context, detail }, options);
  throw error;
}

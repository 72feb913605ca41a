// What every repository shares: the ORM handle, time conversion and pagination rules.
import { randomUUID } from "node:crypto";
import type { EntityManager, MikroORM } from "@mikro-orm/postgresql";
import { ValidationError } from "../errors.ts";
import type { IsoTime, Json, PageOptions, TimeInput } from "../records.ts";

/** The live ORM a repository works through; every call forks its own EntityManager. */
export interface RepositoryContext {
  orm: MikroORM;
  /** Largest stored step output, in bytes of JSON text. */
  maxOutputBytes: number;
}

export function fork(ctx: RepositoryContext): EntityManager {
  return ctx.orm.em.fork({ clear: true, useContext: false });
}

export const newId = (): string => randomUUID();

/** A UUID as text: ids that cannot be one are answered without a query. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function iso(value: Date): IsoTime;
export function iso(value: Date | null | undefined): IsoTime | null;
export function iso(value: Date | null | undefined): IsoTime | null {
  return value ? value.toISOString() : null;
}

/** Accepts a Date or ISO string; refuses anything that is not a real time. */
export function toDate(value: TimeInput, field: string): Date;
export function toDate(value: TimeInput | null | undefined, field: string): Date | null;
export function toDate(value: TimeInput | null | undefined, field: string): Date | null {
  if (value === null || value === undefined) return null;
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime()))
    throw new ValidationError(`${field} is not a valid time`, { field, value: String(value) });
  return date;
}

export function pageOf(options: PageOptions | undefined): { limit: number; offset: number } {
  const limit = options?.limit ?? 50;
  const offset = options?.offset ?? 0;
  if (!Number.isInteger(limit) || limit < 1 || limit > 500)
    throw new ValidationError("limit must be an integer from 1 to 500", { field: "limit", value: limit });
  if (!Number.isInteger(offset) || offset < 0)
    throw new ValidationError("offset must be a non-negative integer", { field: "offset", value: offset });
  return { limit, offset };
}

export function requireText(value: unknown, field: string): string {
  if (typeof value !== "string" || value.trim() === "")
    throw new ValidationError(`${field} must be a non-empty string`, { field });
  return value;
}

export function oneOf<T extends string>(value: unknown, allowed: readonly T[], field: string): T {
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value))
    throw new ValidationError(`${field} must be one of ${allowed.join(", ")}`, { field, value: String(value) });
  return value as T;
}

/** `undefined` means "not stored": jsonb columns keep SQL NULL for it. */
export const jsonOrNull = (value: Json | undefined): Json => (value === undefined ? null : value);

/**
 * Where the first NUL character (`\u0000`) in `value` is, as a path of keys and indexes (`[]` for the
 * value itself), or undefined when there is none. Object keys are looked at too. PostgreSQL's text and
 * jsonb cannot hold the character: sent as a parameter it breaks the wire protocol (SQLSTATE 08P01).
 */
export function findNul(value: unknown): (string | number)[] | undefined {
  if (typeof value === "string") return value.includes("\u0000") ? [] : undefined;
  if (typeof value !== "object" || value === null) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const inner = findNul(value[i]);
      if (inner) return [i, ...inner];
    }
    return undefined;
  }
  // Dates, Buffers and other class instances are not text the row carries.
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return undefined;
  for (const [key, inner] of Object.entries(value)) {
    if (key.includes("\u0000")) return [key];
    const found = findNul(inner);
    if (found) return [key, ...found];
  }
  return undefined;
}

/**
 * Refuses a row (or filter) whose text or JSON holds a NUL character, with a ValidationError naming
 * the field and the path inside it. Checked once per write, before anything reaches PostgreSQL.
 */
export function refuseNul(fields: Record<string, unknown>, context: Record<string, unknown> = {}): void {
  for (const [field, value] of Object.entries(fields)) {
    const path = findNul(value);
    if (!path) continue;
    const at = [field, ...path].join(".").replaceAll("\u0000", "\\u0000");
    throw new ValidationError(`${at} contains a NUL character (\\u0000), which cannot be stored`, {
      ...context,
      field,
      path: [field, ...path],
    });
  }
}

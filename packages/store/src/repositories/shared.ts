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

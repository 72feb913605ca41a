// A route is one declarative record: method, path, required role, the zod schemas of its params,
// query and body, its responses, and the handler. The router and the OpenAPI document are both built
// from the same records, so the documented shapes are the validated ones.
import type { Context } from "koa";
import type { z } from "zod";
import type { Role } from "./auth.ts";

export type HttpMethod = "get" | "post" | "put" | "delete";

/** Who may call a route: a minimum role, anyone (`public`), or a webhook's signature (`signature`). */
export type RouteAccess = Role | "public" | "signature";

/** The identity behind a request (the API key that authenticated it). */
export interface Actor {
  /** `apikey:<id>` — what audit events record. */
  id: string;
  role: Role;
  keyId: string;
  /** The API key's name: the user an approval may be addressed to. */
  name: string;
}

/** What a handler receives: validated params, query and body, and the caller. */
export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  /** Undefined only on public and signature routes. */
  actor: Actor | undefined;
  ctx: Context;
}

/** A handler's answer; `undefined` when it wrote the response itself (SSE). */
export type RouteResult = { status?: number; body: unknown; headers?: Record<string, string> } | undefined;

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
}

export interface RouteSpec<P = unknown, Q = unknown, B = unknown> {
  method: HttpMethod;
  /** Koa-router path, e.g. `/api/workflows/:id`. */
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  access: RouteAccess;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** Extra words for the OpenAPI description. */
  description?: string;
  /** Success responses by status; errors are added from `access` and the schemas present. */
  responses: Record<number, ResponseSpec>;
  /** The response is a stream (`text/event-stream`), not JSON. */
  stream?: boolean;
  handler(input: RouteInput<P, Q, B>): Promise<RouteResult>;
}

// biome-ignore lint/suspicious/noExplicitAny: a route table holds routes of every shape.
export type AnyRoute = RouteSpec<any, any, any>;

/** Types a route record (inference of params/query/body from their schemas). */
export function defineRoute<P = Record<string, never>, Q = Record<string, never>, B = undefined>(
  spec: RouteSpec<P, Q, B>,
): RouteSpec<P, Q, B> {
  return spec;
}

/** `{ status: 200, body }` shorthand. */
export function ok(body: unknown, status = 200): RouteResult {
  return { status, body };
}

// Bearer API keys and the role ladder. Every route names the least role it needs; a key with a
// smaller role gets 403, a request without a valid key 401 — before any input is looked at.
import type { Context } from "koa";
import { ApiError, ServerErrorCode } from "../errors.ts";
import type { Actor, RouteAccess } from "./route.ts";

export const ROLES = ["viewer", "editor", "operator", "admin"] as const;
export type Role = (typeof ROLES)[number];

/** True when `role` is at least `required` on the ladder viewer < editor < operator < admin. */
export function roleAtLeast(role: Role, required: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(required);
}

/** Verifies a plaintext key: the key's id, name and role, or undefined when unknown or revoked. */
export type KeyVerifier = (plaintext: string) => Promise<{ id: string; name: string; role: Role } | undefined>;

/** Reads the bearer token (or, for EventSource clients that cannot set headers, `?access_token=`). */
export function bearerToken(ctx: Context, allowQueryToken: boolean): string | undefined {
  const header = ctx.get("authorization");
  if (header) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match?.[1];
  }
  if (allowQueryToken) {
    const token = ctx.query.access_token;
    if (typeof token === "string" && token.length > 0) return token;
  }
  return undefined;
}

/** Authenticates and authorises one request for a route's access level. */
export async function authorise(
  ctx: Context,
  access: RouteAccess,
  verify: KeyVerifier,
  allowQueryToken = false,
): Promise<Actor | undefined> {
  if (access === "public" || access === "signature") return undefined;
  const token = bearerToken(ctx, allowQueryToken);
  if (!token) {
    ctx.set("WWW-Authenticate", 'Bearer realm="weft"');
    throw new ApiError(ServerErrorCode.Unauthenticated, "an API key is required: Authorization: Bearer <key>");
  }
  const key = await verify(token);
  if (!key) {
    ctx.set("WWW-Authenticate", 'Bearer realm="weft", error="invalid_token"');
    throw new ApiError(ServerErrorCode.Unauthenticated, "the API key is unknown or revoked");
  }
  if (!roleAtLeast(key.role, access)) {
    throw new ApiError(ServerErrorCode.Forbidden, `this action needs the ${access} role; the key has ${key.role}`, {
      required: access,
      role: key.role,
    });
  }
  return { id: `apikey:${key.id}`, role: key.role, keyId: key.id, name: key.name };
}

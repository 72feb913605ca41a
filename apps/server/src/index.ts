// @weft/server: the Weft REST API (Koa).
import pkg from "../package.json" with { type: "json" };

/** The version of @weft/server that is running. */
export const VERSION: string = pkg.version;

export type { ServerCatalog, ServerRuntime, ServerStore } from "./deps.ts";
export { ApiError, type ErrorEnvelope, ServerErrorCode, serverErrorStatuses, toHttpError } from "./errors.ts";
export { ROLES, type Role, roleAtLeast } from "./http/auth.ts";
export type { AnyRoute, RouteSpec } from "./http/route.ts";
export { openApiDocument } from "./openapi.ts";
export { SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER } from "./routes/triggers.ts";
export {
  type AdminKeyResult,
  createServer,
  ENV_ADMIN_KEY_NAME,
  ensureAdminKey,
  type ListeningServer,
  type ServerOptions,
  type WeftServer,
} from "./server.ts";

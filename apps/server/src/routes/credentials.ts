// Credentials (values are write-only: sealed by the store, never returned) and API keys.
import { z } from "zod";
import { audit, type RouteContext } from "../context.ts";
import { ApiError, ServerErrorCode } from "../errors.ts";
import { type AnyRoute, defineRoute, ok } from "../http/route.ts";
import type { InputIssue } from "../http/validation.ts";
import {
  apiKeyCreatedSchema,
  apiKeySchema,
  createApiKeyBody,
  createCredentialBody,
  credentialSchema,
  idParams,
} from "../schemas.ts";

const nameParams = z.object({ name: z.string().min(1).max(200) });

export function credentialRoutes(c: RouteContext): AnyRoute[] {
  return [
    defineRoute({
      method: "get",
      path: "/api/credentials",
      operationId: "listCredentials",
      summary: "List credentials (names and types; never values)",
      tag: "credentials",
      access: "editor",
      responses: { 200: { description: "Credentials.", schema: z.object({ items: z.array(credentialSchema) }) } },
      handler: async () => ok({ items: await c.store.credentials.list() }),
    }),
    defineRoute({
      method: "post",
      path: "/api/credentials",
      operationId: "createCredential",
      summary: "Store a credential; its values are checked against the type's schema and never returned",
      tag: "credentials",
      access: "admin",
      body: createCredentialBody,
      responses: {
        201: { description: "Created (without values).", schema: credentialSchema },
        409: { description: "A credential with this name exists (WEFT_E_STORE_CONFLICT)." },
      },
      handler: async ({ body, actor }) => {
        const type = c.catalog.credentialType(body.type);
        if (!type) {
          const issue: InputIssue = {
            in: "body",
            path: ["type"],
            code: "unknown_credential_type",
            message: `no installed plugin declares credential type ${body.type}`,
          };
          throw new ApiError(ServerErrorCode.Validation, issue.message, { issues: [issue] });
        }
        const checked = type.validate(body.values);
        if (!checked.ok) {
          // Paths under `values`, never the values themselves.
          const issues: InputIssue[] = checked.issues.map((issue) => ({
            in: "body",
            path: ["values", ...issue.path],
            code: "invalid_value",
            message: issue.message,
          }));
          throw new ApiError(ServerErrorCode.Validation, `invalid ${body.type} values: ${issues[0]?.message}`, {
            issues,
          });
        }
        const created = await c.store.credentials.create({ ...body, values: checked.values });
        await audit(c, actor, "credential.create", `credential:${created.name}`, {
          after: { name: created.name, type: created.type },
        });
        return ok(created, 201);
      },
    }),
    defineRoute({
      method: "delete",
      path: "/api/credentials/:name",
      operationId: "deleteCredential",
      summary: "Delete a credential by name",
      tag: "credentials",
      access: "admin",
      params: nameParams,
      responses: { 204: { description: "Deleted." } },
      handler: async ({ params, actor }) => {
        await c.store.credentials.delete(params.name);
        await audit(c, actor, "credential.delete", `credential:${params.name}`);
        return { status: 204, body: null };
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/api-keys",
      operationId: "listApiKeys",
      summary: "List API keys (prefixes only)",
      tag: "api-keys",
      access: "admin",
      responses: { 200: { description: "API keys.", schema: z.object({ items: z.array(apiKeySchema) }) } },
      handler: async () => ok({ items: await c.store.apiKeys.list() }),
    }),
    defineRoute({
      method: "post",
      path: "/api/api-keys",
      operationId: "createApiKey",
      summary: "Create an API key; the key is returned once",
      tag: "api-keys",
      access: "admin",
      body: createApiKeyBody,
      responses: { 201: { description: "Created.", schema: apiKeyCreatedSchema } },
      handler: async ({ body, actor }) => {
        const { key, record } = await c.store.apiKeys.create(body);
        await audit(c, actor, "apikey.create", `apikey:${record.id}`, {
          after: { name: record.name, role: record.role, prefix: record.prefix },
        });
        return ok({ ...record, key }, 201);
      },
    }),
    defineRoute({
      method: "delete",
      path: "/api/api-keys/:id",
      operationId: "revokeApiKey",
      summary: "Revoke an API key (effective immediately)",
      tag: "api-keys",
      access: "admin",
      params: idParams,
      responses: { 204: { description: "Revoked." } },
      handler: async ({ params, actor }) => {
        await c.store.apiKeys.revoke(params.id);
        c.forgetKeys();
        await audit(c, actor, "apikey.revoke", `apikey:${params.id}`);
        return { status: 204, body: null };
      },
    }),
  ];
}

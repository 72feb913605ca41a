// The credential types the HTTP node authenticates with. Values reach the node decrypted through
// `ctx.credentials`, never through config, so a workflow definition can be shared without secrets.
import { defineCredential } from "@weft/sdk";
import { z } from "zod";
import { headerNameProblem, headerValueProblem } from "./headers.ts";

// A credential value that goes into a header as is. The message names the problem, never the value.
const headerSafe = (schema: z.ZodString) =>
  schema.superRefine((value, ctx) => {
    const problem = headerValueProblem(value);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: `cannot be sent in a header: it ${problem}` });
  });

/** HTTP Basic authentication (`Authorization: Basic base64(username:password)`). */
export const basicCredential = defineCredential({
  type: "http.basic",
  title: "HTTP basic auth",
  description: "Username and password sent as an Authorization: Basic header.",
  schema: z.object({
    username: z.string().min(1).meta({ title: "Username" }),
    password: z.string().meta({ title: "Password" }),
  }),
  secret: ["password"],
});

/** A bearer token (`Authorization: Bearer <token>`). */
export const bearerCredential = defineCredential({
  type: "http.bearer",
  title: "Bearer token",
  description: "A token sent as an Authorization: Bearer header.",
  schema: z.object({ token: headerSafe(z.string().min(1)).meta({ title: "Token" }) }),
  secret: ["token"],
});

/** An API key sent in a header of the service's choosing. */
export const apiKeyCredential = defineCredential({
  type: "http.apiKey",
  title: "API key header",
  description: "A key sent in a request header, e.g. X-API-Key: <key>.",
  schema: z.object({
    header: z
      .string()
      .min(1)
      .superRefine((name, ctx) => {
        const problem = headerNameProblem(name);
        if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
      })
      .default("X-API-Key")
      .meta({ title: "Header name" }),
    key: headerSafe(z.string().min(1)).meta({ title: "Key" }),
    prefix: headerSafe(z.string())
      .optional()
      .meta({ title: "Value prefix", description: 'Put before the key, e.g. "ApiKey ".' }),
  }),
  secret: ["key"],
});

/** Every credential type of the plugin. */
export const credentials = [basicCredential, bearerCredential, apiKeyCredential];

/** Request headers for decrypted credential values of one of the types above. */
export function authHeaders(credential: { type: string; values: Record<string, unknown> }): Record<string, string> {
  const values = credential.values;
  switch (credential.type) {
    case "http.basic":
      return {
        authorization: `Basic ${Buffer.from(`${String(values.username)}:${String(values.password)}`).toString("base64")}`,
      };
    case "http.bearer":
      return { authorization: `Bearer ${String(values.token)}` };
    case "http.apiKey":
      return {
        [String(values.header ?? "X-API-Key").toLowerCase()]: `${String(values.prefix ?? "")}${String(values.key)}`,
      };
    default:
      return {};
  }
}

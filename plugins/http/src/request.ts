// `http.request`: one HTTP call with Node's fetch, cancelled through `ctx.signal`. Statuses outside
// the success ranges become typed errors (429/5xx retryable, honouring Retry-After), so the node's
// retry policy — not this code — decides whether to try again.
import type { Json } from "@weft/sdk";
import { defineNode, HttpStatusError, NodeError } from "@weft/sdk";
import { z } from "zod";
import { authHeaders, credentials } from "./credentials.ts";
import { HttpErrorCode } from "./errors.ts";
import { headerNameProblem, headerValueProblem } from "./headers.ts";
import { decodeBody, readBody } from "./response.ts";

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] as const;

const statusRange = z
  .string()
  .regex(/^[1-5]\d\d(-[1-5]\d\d)?$/, 'expected a status ("204") or a range ("200-299")')
  .refine((range) => {
    const [from, to = from] = range.split("-").map(Number);
    return (from ?? 0) <= (to ?? 0);
  }, "a range must go from low to high");

const body = z
  .discriminatedUnion("type", [
    z.object({ type: z.literal("none") }),
    z.object({ type: z.literal("json"), value: z.json().meta({ title: "JSON", widget: "code" }) }),
    z.object({
      type: z.literal("text"),
      value: z.string().meta({ title: "Text", widget: "multiline" }),
      contentType: z.string().default("text/plain; charset=utf-8").meta({ title: "Content type" }),
    }),
    z.object({
      type: z.literal("form"),
      value: z.record(z.string(), z.string()).meta({ title: "Form fields" }),
    }),
  ])
  .default({ type: "none" })
  .meta({ title: "Body", description: "Sent as JSON, text or application/x-www-form-urlencoded." });

/** The config of `http.request`. */
export const requestConfig = z.object({
  method: z.enum(METHODS).default("GET").meta({ title: "Method" }),
  url: z.url({ protocol: /^https?$/, error: "expected an absolute http(s) URL" }).meta({
    title: "URL",
    description: "Absolute http(s) URL; templates allowed, e.g. https://api.example.com/items/{{ $input.id }}.",
  }),
  query: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
    .default({})
    .meta({ title: "Query parameters" }),
  headers: z
    .record(z.string(), z.string())
    .default({})
    .superRefine((headers, ctx) => {
      for (const [name, value] of Object.entries(headers)) {
        const nameProblem = headerNameProblem(name);
        const valueProblem = nameProblem === undefined ? headerValueProblem(value) : undefined;
        if (nameProblem !== undefined) ctx.addIssue({ code: "custom", path: [name], message: nameProblem });
        else if (valueProblem !== undefined)
          ctx.addIssue({ code: "custom", path: [name], message: `header ${name}: value ${valueProblem}` });
      }
    })
    .meta({ title: "Headers", description: "Put secrets in a credential, not here." }),
  body,
  auth: z
    .enum(["none", "basic", "bearer", "apiKey"])
    .default("none")
    .meta({
      title: "Authentication",
      description: "Uses the node's credential of the matching type.",
      enumLabels: {
        none: "None",
        basic: "Basic (http.basic)",
        bearer: "Bearer token (http.bearer)",
        apiKey: "API key header (http.apiKey)",
      },
    }),
  timeoutMs: z.int().min(1).max(600_000).default(30_000).meta({ title: "Timeout (ms)" }),
  followRedirects: z.boolean().default(true).meta({ title: "Follow redirects" }),
  responseType: z
    .enum(["auto", "json", "text"])
    .default("auto")
    .meta({
      title: "Response type",
      enumLabels: { auto: "JSON when the server says so, else text", json: "JSON", text: "Text" },
    }),
  successStatus: z.array(statusRange).min(1).default(["200-299"]).meta({
    title: "Success statuses",
    description: 'Statuses or ranges that count as success, e.g. ["200-299", "404"].',
  }),
  maxResponseBytes: z
    .int()
    .min(1)
    .max(256 * 1024 * 1024)
    .default(10 * 1024 * 1024)
    .meta({ title: "Max response size (bytes)" }),
});

/** The output of `http.request`. */
export const requestOutput = z.object({
  status: z.int().meta({ title: "Status" }),
  statusText: z.string(),
  /** Header names are lower case. */
  headers: z.record(z.string(), z.string()),
  /** Parsed JSON when JSON, else text; null when the response has no body. */
  body: z.json(),
  /** The final URL, after redirects. */
  url: z.string(),
});

function isSuccess(status: number, ranges: readonly string[]): boolean {
  return ranges.some((range) => {
    const [from, to = from] = range.split("-").map(Number);
    return status >= (from ?? 0) && status <= (to ?? 0);
  });
}

function requestBody(config: z.output<typeof requestConfig>, headers: Headers): string | URLSearchParams | undefined {
  const { body: spec } = config;
  if (spec.type === "none") return undefined;
  if (config.method === "GET" || config.method === "HEAD")
    throw new NodeError(HttpErrorCode.RequestInvalid, `a ${config.method} request cannot have a body`, {
      details: { method: config.method, body: spec.type },
    });
  if (spec.type === "json") {
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
    return JSON.stringify(spec.value);
  }
  if (spec.type === "text") {
    if (!headers.has("content-type")) headers.set("content-type", spec.contentType);
    return spec.value;
  }
  return new URLSearchParams(spec.value);
}

/** The URL without credentials or query values, for logs. */
function loggable(url: URL): string {
  const copy = new URL(url);
  copy.username = "";
  copy.password = "";
  copy.search = copy.search ? "?…" : "";
  return copy.toString();
}

/** `http.request`: calls an HTTP endpoint and outputs its status, headers and (parsed) body. */
export const request = defineNode({
  type: "http.request",
  version: 1,
  category: "action",
  title: "HTTP request",
  description:
    "Calls an HTTP endpoint. Non-success statuses fail the node: 429 and 5xx are retryable (honouring Retry-After) when the node has a retry policy.",
  icon: "globe",
  config: requestConfig,
  output: requestOutput,
  credentials,
  examples: [
    {
      name: "GET JSON",
      description: "Fetches a JSON document; the test points the URL at a local server.",
      config: { url: "https://api.example.com/status" },
      expect: { status: "succeeded", port: "default" },
    },
    {
      name: "POST JSON with a bearer token",
      config: {
        method: "POST",
        url: "https://api.example.com/tickets",
        body: { type: "json", value: { title: "CVE-2024-1234 on web-01" } },
        auth: "bearer",
      },
      credentials: { type: "http.bearer", values: { token: "example-token" } },
      expect: { status: "succeeded" },
    },
  ],
  strategy: {
    async execute(ctx) {
      const { config } = ctx;
      const url = new URL(config.url);
      for (const [key, value] of Object.entries(config.query)) url.searchParams.append(key, String(value));
      const headers = new Headers(config.headers);
      if (config.auth !== "none") {
        const credential = await ctx.credentials.get();
        if (credential.type !== `http.${config.auth}`)
          throw new NodeError(
            HttpErrorCode.RequestInvalid,
            `auth "${config.auth}" needs a credential of type http.${config.auth}, but the node's credential is ${credential.type}`,
            { details: { auth: config.auth, credentialType: credential.type } },
          );
        for (const [name, value] of Object.entries(authHeaders(credential))) headers.set(name, value);
      }
      const payload = requestBody(config, headers);

      const timeout = AbortSignal.timeout(config.timeoutMs);
      const signal = AbortSignal.any([ctx.signal, timeout]);
      const started = performance.now();
      let response: Response;
      let text: string;
      try {
        response = await fetch(url, {
          method: config.method,
          headers,
          ...(payload !== undefined ? { body: payload } : {}),
          redirect: config.followRedirects ? "follow" : "manual",
          signal,
        });
        text = await readBody(response, config.maxResponseBytes);
      } catch (error) {
        // The kernel's own abort (node timeout, cancel) carries its error as the reason: pass it on.
        if (ctx.signal.aborted) throw ctx.signal.reason;
        if (error instanceof NodeError) throw error;
        if (timeout.aborted)
          throw new NodeError(
            HttpErrorCode.Timeout,
            `${config.method} ${loggable(url)} timed out after ${config.timeoutMs} ms`,
            {
              retryable: true,
              details: { timeoutMs: config.timeoutMs },
            },
          );
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        throw new NodeError(
          HttpErrorCode.Network,
          `${config.method} ${loggable(url)} failed: ${cause?.code ?? cause?.message ?? (error as Error).message}`,
          { retryable: true, details: { code: cause?.code ?? null }, cause: error },
        );
      }
      ctx.logger.info("http response", {
        method: config.method,
        url: loggable(url),
        status: response.status,
        ms: Math.round(performance.now() - started),
      });
      if (!isSuccess(response.status, config.successStatus)) throw HttpStatusError.fromResponse(response, text);
      const responseHeaders: Record<string, string> = {};
      for (const [name, value] of response.headers) responseHeaders[name] = value;
      const contentType = response.headers.get("content-type");
      const decoded: Json = config.method === "HEAD" ? null : decodeBody(text, contentType, config.responseType);
      return {
        status: response.status,
        statusText: response.statusText,
        headers: responseHeaders,
        body: decoded,
        url: response.url || url.toString(),
      };
    },
  },
});

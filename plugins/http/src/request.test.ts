import { expectManifestFresh, runExamples, runNode } from "@weft/sdk/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { json, startServer } from "../test/server.ts";
import plugin, { request } from "./index.ts";

let server: Awaited<ReturnType<typeof startServer>>;
let rateLimitedCalls = 0;

beforeAll(async () => {
  server = await startServer({
    "/status": (_req, res) => json(res, 200, { ok: true, service: "scanner" }, { "x-request-id": "r-1" }),
    "/echo": (req, res) =>
      json(res, 200, {
        method: req.method,
        query: req.query,
        body: req.body,
        contentType: req.headers["content-type"] ?? null,
      }),
    "/whoami": (req, res) =>
      json(res, 200, { authorization: req.headers.authorization ?? null, apiKey: req.headers["x-api-key"] ?? null }),
    "/tickets": (req, res) => json(res, 201, { key: "SEC-1", received: JSON.parse(req.body) }),
    "/text": (_req, res) => res.writeHead(200, { "content-type": "text/plain" }).end("plain words"),
    "/missing": (_req, res) => json(res, 404, { error: "not here" }),
    "/broken": (_req, res) => json(res, 503, { error: "down" }),
    "/rate-limited": (_req, res) => {
      rateLimitedCalls++;
      if (rateLimitedCalls === 1) json(res, 429, { error: "slow down" }, { "retry-after": "2" });
      else json(res, 200, { ok: true, calls: rateLimitedCalls });
    },
    "/hang": () => {
      // Never answers: the client's timeout must end the request.
    },
    "/big": (_req, res) => res.writeHead(200, { "content-type": "text/plain" }).end("x".repeat(4096)),
    "/big-chunked": (_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      for (let i = 0; i < 8; i++) res.write("y".repeat(512));
      res.end();
    },
    "/moved": (_req, res) => res.writeHead(302, { location: "/status" }).end(),
  });
});

afterAll(async () => {
  await server.close();
});

describe("http.request", () => {
  it("GETs JSON and outputs status, lower-case headers and the parsed body", async () => {
    const { outcome } = await runNode(request, { config: { url: server.url("/status") } });
    expect(outcome).toMatchObject({
      status: "succeeded",
      port: "default",
      output: {
        status: 200,
        statusText: "OK",
        headers: { "x-request-id": "r-1", "content-type": "application/json" },
        body: { ok: true, service: "scanner" },
        url: server.url("/status"),
      },
    });
  });

  it("resolves a templated URL and sends query parameters", async () => {
    const { outcome } = await runNode(request, {
      config: { url: "{{ $input.base }}/echo", query: { severity: "critical", limit: 5, open: true } },
      input: { base: server.url("") },
    });
    expect(outcome).toMatchObject({
      status: "succeeded",
      output: { body: { method: "GET", query: { severity: "critical", limit: "5", open: "true" } } },
    });
  });

  it.each([
    [{ type: "json", value: { a: [1, 2] } }, '{"a":[1,2]}', "application/json"],
    [{ type: "text", value: "hello" }, "hello", "text/plain; charset=utf-8"],
    [{ type: "form", value: { q: "a b", n: "1" } }, "q=a+b&n=1", "application/x-www-form-urlencoded;charset=UTF-8"],
  ] as const)("sends a %o body", async (body, sent, contentType) => {
    const { outcome } = await runNode(request, { config: { method: "POST", url: server.url("/echo"), body } });
    expect(outcome).toMatchObject({
      status: "succeeded",
      output: { body: { method: "POST", body: sent, contentType } },
    });
  });

  it("authenticates with basic, bearer and API key credentials without putting them in config", async () => {
    const basic = await runNode(request, {
      config: { url: server.url("/whoami"), auth: "basic" },
      credentials: { type: "http.basic", values: { username: "svc", password: "pw" } },
    });
    expect(basic.outcome).toMatchObject({ output: { body: { authorization: `Basic ${btoa("svc:pw")}` } } });
    const bearer = await runNode(request, {
      config: { url: server.url("/whoami"), auth: "bearer" },
      credentials: { type: "http.bearer", values: { token: "t0k3n" } },
    });
    expect(bearer.outcome).toMatchObject({ output: { body: { authorization: "Bearer t0k3n" } } });
    const apiKey = await runNode(request, {
      config: { url: server.url("/whoami"), auth: "apiKey" },
      credentials: { type: "http.apiKey", values: { key: "k-123" } },
    });
    expect(apiKey.outcome).toMatchObject({ output: { body: { apiKey: "k-123" } } });
    for (const run of [basic, bearer, apiKey]) expect(JSON.stringify(run.logs)).not.toMatch(/pw|t0k3n|k-123/);
  });

  it("refuses a credential of another type than the chosen auth", async () => {
    const { outcome } = await runNode(request, {
      config: { url: server.url("/whoami"), auth: "bearer" },
      credentials: { type: "http.basic", values: { username: "svc", password: "pw" } },
    });
    expect(outcome).toMatchObject({
      status: "failed",
      error: { code: "WEFT_E_HTTP_REQUEST_INVALID", retryable: false },
    });
  });

  it("outputs text bodies as text", async () => {
    const { outcome } = await runNode(request, { config: { url: server.url("/text") } });
    expect(outcome).toMatchObject({ output: { body: "plain words" } });
  });

  it("fails a 404 without retrying, keeping the status and body in the error", async () => {
    const result = await runNode(request, { config: { url: server.url("/missing") }, retry: { maxAttempts: 3 } });
    expect(result.attempts).toBe(1);
    expect(result.outcome).toMatchObject({
      status: "failed",
      error: {
        code: "WEFT_E_REMOTE_NOT_FOUND",
        retryable: false,
        details: { status: 404, body: '{"error":"not here"}' },
      },
    });
  });

  it("accepts a non-2xx status listed in successStatus", async () => {
    const { outcome } = await runNode(request, {
      config: { url: server.url("/missing"), successStatus: ["200-299", "404"] },
    });
    expect(outcome).toMatchObject({ status: "succeeded", output: { status: 404, body: { error: "not here" } } });
  });

  it("retries a 5xx under the node's retry policy, then fails retryable", async () => {
    const result = await runNode(request, { config: { url: server.url("/broken") }, retry: { maxAttempts: 2 } });
    expect(result.attempts).toBe(2);
    expect(result.outcome).toMatchObject({ status: "failed", error: { code: "WEFT_E_HTTP_STATUS", retryable: true } });
  });

  it("retries a 429 after the Retry-After the server asked for", async () => {
    const result = await runNode(request, {
      config: { url: server.url("/rate-limited") },
      retry: { maxAttempts: 3, delayMs: 100 },
    });
    expect(result.retryDelays).toEqual([2000]);
    expect(result.attempts).toBe(2);
    expect(result.outcome).toMatchObject({ status: "succeeded", output: { body: { ok: true, calls: 2 } } });
  });

  it("times out a request that does not answer within timeoutMs (retryable)", async () => {
    const { outcome } = await runNode(request, { config: { url: server.url("/hang"), timeoutMs: 50 } });
    expect(outcome).toMatchObject({ status: "failed", error: { code: "WEFT_E_HTTP_TIMEOUT", retryable: true } });
  });

  it("stops at the node's own timeout through ctx.signal", async () => {
    const { outcome } = await runNode(request, { config: { url: server.url("/hang") }, timeoutMs: 50 });
    expect(outcome).toMatchObject({ status: "failed", error: { code: "WEFT_E_TIMEOUT" } });
  });

  it.each(["/big", "/big-chunked"])("refuses a response larger than maxResponseBytes (%s)", async (path) => {
    const { outcome } = await runNode(request, { config: { url: server.url(path), maxResponseBytes: 1000 } });
    expect(outcome).toMatchObject({
      status: "failed",
      error: { code: "WEFT_E_HTTP_RESPONSE_TOO_LARGE", retryable: false, details: { maxResponseBytes: 1000 } },
    });
  });

  it("follows redirects, or returns them when told not to", async () => {
    const followed = await runNode(request, { config: { url: server.url("/moved") } });
    expect(followed.outcome).toMatchObject({ output: { status: 200, url: server.url("/status") } });
    const kept = await runNode(request, {
      config: { url: server.url("/moved"), followRedirects: false, successStatus: ["200-399"] },
    });
    expect(kept.outcome).toMatchObject({ output: { status: 302, headers: { location: "/status" } } });
  });

  it("reports an invalid URL as a validation error, not a crash", async () => {
    const result = await runNode(request, { config: { url: "not a url" } });
    expect(result.attempts).toBe(0);
    expect(result.validation).toEqual([
      expect.objectContaining({ code: "WEFT_E_CONFIG_INVALID", path: expect.arrayContaining(["url"]) }),
    ]);
    expect(result.outcome).toMatchObject({ status: "failed", error: { code: "WEFT_E_CONFIG_INVALID" } });
    const ftp = await runNode(request, { config: { url: "ftp://example.com/file" } });
    expect(ftp.outcome).toMatchObject({ status: "failed", error: { code: "WEFT_E_CONFIG_INVALID" } });
  });

  it("refuses header names and values that HTTP cannot carry, naming the header", async () => {
    const badName = await runNode(request, { config: { url: server.url("/echo"), headers: { "X Trace": "1" } } });
    expect(badName.attempts).toBe(0);
    expect(badName.validation).toEqual([
      expect.objectContaining({
        code: "WEFT_E_CONFIG_INVALID",
        path: ["nodes", 1, "data", "config", "headers", "X Trace"],
        message: expect.stringContaining('"X Trace" is not a valid HTTP header name'),
      }),
    ]);
    const injected = await runNode(request, {
      config: { url: server.url("/echo"), headers: { "X-Ticket": "SEC-1\r\nX-Admin: true" } },
    });
    expect(injected.outcome).toMatchObject({
      status: "failed",
      error: {
        code: "WEFT_E_CONFIG_INVALID",
        message: expect.stringContaining("header X-Ticket: value contains a line break"),
      },
    });
    // A template that resolves to a line break is caught when the attempt parses its resolved config.
    const templated = await runNode(request, {
      config: { url: server.url("/echo"), headers: { "X-Ticket": "{{ $input.ticket }}" } },
      input: { ticket: "SEC-1\nX-Admin: true" },
    });
    expect(templated.attempts).toBe(1);
    expect(templated.outcome).toMatchObject({
      status: "failed",
      error: { code: "WEFT_E_CONFIG_INVALID", retryable: false, message: expect.stringContaining("X-Ticket") },
    });
  });

  it("fails for good, without the secret, when the API key credential cannot be sent as a header", async () => {
    for (const values of [{ header: "X API Key", key: "k-123" }, { key: "k-123\nX-Admin: true" }]) {
      const { outcome, attempts } = await runNode(request, {
        config: { url: server.url("/whoami"), auth: "apiKey" },
        credentials: { type: "http.apiKey", values },
        retry: { maxAttempts: 3 },
      });
      expect(attempts).toBe(1);
      expect(outcome).toMatchObject({
        status: "failed",
        error: { code: "WEFT_E_CREDENTIAL_INVALID", retryable: false, details: { type: "http.apiKey" } },
      });
      expect(JSON.stringify(outcome)).not.toContain("k-123");
    }
  });

  it("fails a templated URL that resolves to garbage with WEFT_E_CONFIG_INVALID", async () => {
    const { outcome, attempts } = await runNode(request, {
      config: { url: "{{ $input.url }}" },
      input: { url: "nope" },
    });
    expect(attempts).toBe(1);
    expect(outcome).toMatchObject({ status: "failed", error: { code: "WEFT_E_CONFIG_INVALID", retryable: false } });
  });

  it("reports a connection failure as a retryable network error", async () => {
    const { outcome } = await runNode(request, { config: { url: "http://127.0.0.1:1/nothing" } });
    expect(outcome).toMatchObject({ status: "failed", error: { code: "WEFT_E_HTTP_NETWORK", retryable: true } });
  });

  it("runs its documented examples", async () => {
    const results = await runExamples(request, (example) => ({
      config: { ...(example.config as object), url: server.url(example.name === "GET JSON" ? "/status" : "/tickets") },
    }));
    expect(results.map((r) => r.outcome.status)).toEqual(["succeeded", "succeeded"]);
    expect(server.seen.at(-1)).toMatchObject({ method: "POST", headers: { authorization: "Bearer example-token" } });
  });

  it("has a fresh weft.manifest.json", () => {
    expectManifestFresh(plugin, new URL("../weft.manifest.json", import.meta.url));
  });
});

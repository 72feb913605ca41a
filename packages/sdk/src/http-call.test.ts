import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  abortableSleep,
  type HttpCallContext,
  type HttpRequestOptions,
  type HttpService,
  NodeError,
  ProcessRateLimiter,
  RATE_LIMITER,
  readJsonBody,
  sendRequest,
} from "./index.ts";

const service: HttpService = {
  name: "Acme",
  unreachableCode: "WEFT_E_ACME_UNREACHABLE",
  badResponseCode: "WEFT_E_ACME_BAD_RESPONSE",
};

/** Small waits so retried tests stay quick; the policy is the same at any scale. */
const budget = { retries: 3, maxWaitMs: 30_000, backoffMs: 5 };

type Handler = (request: IncomingMessage, response: ServerResponse, seen: number) => void;

/** A loopback server that answers each request with the next handler (the last one repeats). */
async function startServer(handlers: Handler[]) {
  const seen: { method: string; url: string }[] = [];
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? "", url: req.url ?? "" });
    req.resume();
    req.on("end", () => (handlers[seen.length - 1] ?? handlers.at(-1))?.(req, res, seen.length));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  servers.push(server);
  return { url: (path: string) => `http://127.0.0.1:${port}${path}`, seen };
}

const servers: ReturnType<typeof createServer>[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

function callContext(signal: AbortSignal = new AbortController().signal) {
  const warnings: string[] = [];
  const ctx: HttpCallContext = { signal, logger: { warn: (message) => warnings.push(message) } };
  return { ctx, warnings };
}

/** A request to `url` with the test defaults: an idempotent GET, small backoff, no extra headers. */
function request(url: string, overrides: Partial<HttpRequestOptions> = {}): HttpRequestOptions {
  return { service, method: "GET", url, headers: {}, idempotent: true, budget, ...overrides };
}

const answer =
  (status: number, body: unknown, headers: Record<string, string> = {}): Handler =>
  (_req, res) =>
    res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));

async function rejection(promise: Promise<unknown>): Promise<NodeError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(NodeError);
  return error as NodeError;
}

describe("sendRequest", () => {
  it("waits a short Retry-After of a 429 inside the attempt, even for a POST, and then succeeds", async () => {
    const server = await startServer([
      answer(429, { error: "slow down" }, { "retry-after": "0.02" }),
      answer(200, { id: 7 }),
    ]);
    const { ctx, warnings } = callContext();
    const response = await sendRequest(
      ctx,
      request(server.url("/items?token=s3cret"), { method: "POST", body: { name: "x" }, idempotent: false }),
    );
    expect(await readJsonBody(response, service, "POST /items")).toEqual({ id: 7 });
    expect(server.seen.map((r) => r.method)).toEqual(["POST", "POST"]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("HTTP 429 from POST http://127.0.0.1");
    expect(warnings[0]).toContain("retrying in 20 ms");
    expect(warnings[0]).not.toContain("s3cret");
  });

  it("hands a Retry-After longer than maxWaitMs back to the kernel as retryAfterMs", async () => {
    const server = await startServer([answer(429, { error: "slow down" }, { "retry-after": "120" })]);
    const { ctx, warnings } = callContext();
    const error = await rejection(sendRequest(ctx, request(server.url("/items"))));
    expect(error.code).toBe("WEFT_E_RATE_LIMITED");
    expect(error.retryable).toBe(true);
    expect(error.retryAfterMs).toBe(120_000);
    expect(server.seen).toHaveLength(1);
    expect(warnings).toEqual([]);
  });

  it("does not repeat a non-idempotent request that failed with a 5xx", async () => {
    const server = await startServer([answer(503, { error: "busy" }), answer(201, {})]);
    const { ctx } = callContext();
    const error = await rejection(
      sendRequest(ctx, request(server.url("/tickets"), { method: "POST", idempotent: false })),
    );
    expect(error.toJSON()).toMatchObject({ code: "WEFT_E_HTTP_STATUS", retryable: true, details: { status: 503 } });
    expect(server.seen).toHaveLength(1);
  });

  it("retries an idempotent request after 5xx with backoff until the budget is spent", async () => {
    const server = await startServer([answer(502, {})]);
    const { ctx, warnings } = callContext();
    const error = await rejection(sendRequest(ctx, request(server.url("/scans"))));
    expect(error.code).toBe("WEFT_E_HTTP_STATUS");
    expect(server.seen).toHaveLength(budget.retries + 1);
    expect(warnings.map((w) => w.match(/retrying in (\d+) ms/)?.[1])).toEqual(["5", "10", "20"]);
  });

  it("rejects with the abort reason when the attempt is cancelled while waiting for Retry-After", async () => {
    const controller = new AbortController();
    const server = await startServer([
      (_req, res) => {
        res.writeHead(429, { "retry-after": "10" }).end();
      },
    ]);
    const { ctx, warnings } = callContext(controller.signal);
    const cancelled = new Error("run cancelled");
    const pending = sendRequest(ctx, request(server.url("/x")));
    await expect.poll(() => warnings.length).toBe(1);
    controller.abort(cancelled);
    await expect(pending).rejects.toBe(cancelled);
    expect(server.seen).toHaveLength(1);
  });

  it("returns statuses listed in accept instead of failing", async () => {
    const server = await startServer([answer(409, { active_job_id: "abc" })]);
    const { ctx } = callContext();
    const response = await sendRequest(
      ctx,
      request(server.url("/exports"), { method: "POST", body: {}, idempotent: false, accept: [409] }),
    );
    expect(response.status).toBe(409);
    expect(await readJsonBody(response, service, "POST /exports")).toEqual({ active_job_id: "abc" });
  });

  it("uses the plugin's error mapper for error responses", async () => {
    const server = await startServer([answer(400, { errorMessages: ["summary is required"] })]);
    const { ctx } = callContext();
    const error = await rejection(
      sendRequest(
        ctx,
        request(server.url("/issue"), {
          method: "POST",
          idempotent: false,
          mapError: (response, text) => new NodeError("WEFT_E_ACME_REJECTED", `${response.status}: ${text}`),
        }),
      ),
    );
    expect(error.code).toBe("WEFT_E_ACME_REJECTED");
    expect(error.message).toContain("summary is required");
  });

  it("names the service in a retryable error when it cannot be reached", async () => {
    const server = await startServer([answer(200, {})]);
    const url = server.url("/down?apikey=s3cret");
    await new Promise<void>((resolve) => servers.pop()?.close(() => resolve()));
    const { ctx, warnings } = callContext();
    const error = await rejection(sendRequest(ctx, request(url)));
    expect(error.code).toBe("WEFT_E_ACME_UNREACHABLE");
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/^Acme at http:\/\/127\.0\.0\.1:\d+ could not be reached/);
    expect(JSON.stringify(error.toJSON())).not.toContain("s3cret");
    expect(warnings).toHaveLength(budget.retries);
  });
});

describe("readJsonBody", () => {
  it("turns a body that is not JSON into the service's bad-response error, retryable on 5xx", async () => {
    const server = await startServer([
      (_req, res) => res.writeHead(502, { "content-type": "text/html" }).end("<html>bad gateway</html>"),
    ]);
    const response = await fetch(server.url("/"));
    const error = await rejection(readJsonBody(response, service, "GET /"));
    expect(error.toJSON()).toMatchObject({
      code: "WEFT_E_ACME_BAD_RESPONSE",
      message: "Acme answered GET / with a body that is not JSON",
      retryable: true,
      details: { status: 502, body: "<html>bad gateway</html>" },
    });
  });
});

describe("abortableSleep and ProcessRateLimiter", () => {
  it("rejects a sleep with the signal's reason, also when already aborted", async () => {
    const controller = new AbortController();
    const reason = new Error("timed out");
    const sleeping = abortableSleep(60_000, controller.signal);
    controller.abort(reason);
    await expect(sleeping).rejects.toBe(reason);
    await expect(abortableSleep(1, controller.signal)).rejects.toBe(reason);
    await expect(abortableSleep(1)).resolves.toBeUndefined();
  });

  it("lets the first acquisition of a key through and makes the next one wait until aborted", async () => {
    expect(RATE_LIMITER).toBe("weft.rateLimiter");
    const limiter = new ProcessRateLimiter();
    const limit = { key: "acme:channel:C1", limit: 1, intervalMs: 60_000 };
    await limiter.acquire(limit);
    await limiter.acquire({ ...limit, key: "acme:channel:C2" });
    const controller = new AbortController();
    const waiting = limiter.acquire(limit, controller.signal);
    const reason = new Error("cancelled");
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
  });
});

import { describe, expect, it } from "vitest";
import { HttpStatusError, NodeError, parseRetryAfter, WeftError } from "./index.ts";

function response(status: number, headers: Record<string, string> = {}) {
  return { status, url: "https://user:pw@api.example.com/v1/items?apikey=s3cret", headers: new Headers(headers) };
}

describe("HttpStatusError.fromResponse", () => {
  it.each([
    [401, "WEFT_E_AUTH", false],
    [403, "WEFT_E_AUTH", false],
    [404, "WEFT_E_REMOTE_NOT_FOUND", false],
    [400, "WEFT_E_HTTP_STATUS", false],
    [422, "WEFT_E_HTTP_STATUS", false],
    [429, "WEFT_E_RATE_LIMITED", true],
    [500, "WEFT_E_HTTP_STATUS", true],
    [503, "WEFT_E_HTTP_STATUS", true],
  ])("maps HTTP %i to %s (retryable: %s)", (status, code, retryable) => {
    const error = HttpStatusError.fromResponse(response(status), "body");
    expect(error).toBeInstanceOf(NodeError);
    expect(error).toBeInstanceOf(WeftError);
    expect(error.toJSON()).toMatchObject({ code, retryable, details: { status, body: "body" } });
  });

  it("takes retryAfterMs from Retry-After seconds or an HTTP date", () => {
    expect(HttpStatusError.fromResponse(response(429, { "retry-after": "3" })).retryAfterMs).toBe(3000);
    const now = Date.parse("2026-01-01T00:00:00Z");
    const dated = HttpStatusError.fromResponse(
      response(503, { "retry-after": "Thu, 01 Jan 2026 00:00:10 GMT" }),
      "",
      now,
    );
    expect(dated.retryAfterMs).toBe(10_000);
  });

  it("keeps secrets in the URL out of the error", () => {
    const text = JSON.stringify(HttpStatusError.fromResponse(response(500)).toJSON());
    expect(text).not.toContain("s3cret");
    expect(text).not.toContain("pw@");
  });

  it("truncates long bodies", () => {
    const details = HttpStatusError.fromResponse(response(500), "x".repeat(5000)).toJSON().details as { body: string };
    expect(details.body.length).toBeLessThan(1100);
  });
});

describe("parseRetryAfter", () => {
  it("reads seconds and dates, and ignores garbage", () => {
    expect(parseRetryAfter("0")).toBe(0);
    expect(parseRetryAfter("1.5")).toBe(1500);
    expect(parseRetryAfter("soon")).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter("Thu, 01 Jan 2020 00:00:00 GMT", Date.parse("2021-01-01T00:00:00Z"))).toBe(0);
  });
});

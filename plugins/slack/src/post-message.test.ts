import { runNode } from "@weft/sdk/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeSlack } from "../test/fake-slack.ts";
import { postMessage } from "./post-message.ts";
import { RATE_LIMITER, type RateLimit, type RateLimiter } from "./rate-limit.ts";

let fake: FakeSlack;
beforeEach(async () => {
  fake = new FakeSlack();
  await fake.start();
});
afterEach(() => fake.close());

const credentials = (token = "xoxb-test") => ({ type: "slack", values: { token, baseUrl: fake.apiUrl } });

describe("slack.postMessage", () => {
  it("posts text and blocks and outputs channel and ts for threading", async () => {
    const { outcome } = await runNode(postMessage, {
      config: {
        channel: "#sec-alerts",
        text: "fallback",
        blocks: [{ type: "section", text: { type: "mrkdwn", text: "*hi*" } }],
        unfurlLinks: false,
      },
      credentials: credentials(),
    });
    expect(outcome).toMatchObject({ status: "succeeded", output: { channel: "C0SEC" } });
    if (outcome.status !== "succeeded") return;
    const { ts } = outcome.output as { ts: string };
    expect(fake.messages[0]).toMatchObject({ channel: "C0SEC", ts, text: "fallback" });
    const [call] = fake.calls("POST", "/api/chat.postMessage");
    expect(call?.headers.authorization).toBe("Bearer xoxb-test");
    expect(call?.body).toMatchObject({ unfurl_links: false });

    const reply = await runNode(postMessage, {
      config: { channel: "C0SEC", text: "in thread", threadTs: ts },
      credentials: credentials(),
    });
    expect(reply.outcome.status).toBe("succeeded");
    expect(fake.messages[1]?.threadTs).toBe(ts);
  });

  it.each([
    ["channel_not_found", "#nowhere", "WEFT_E_REMOTE_NOT_FOUND"],
    ["not_in_channel", "#outsiders", "WEFT_E_SLACK_API"],
    ["is_archived", "#old-alerts", "WEFT_E_SLACK_API"],
  ])("maps ok:false %s to a typed, non-retryable error", async (error, channel, code) => {
    const { outcome, attempts } = await runNode(postMessage, {
      config: { channel, text: "x" },
      credentials: credentials(),
      retry: { maxAttempts: 3 },
    });
    expect(outcome).toMatchObject({ status: "failed", error: { code, retryable: false, details: { error } } });
    expect(attempts).toBe(1);
  });

  it("maps invalid_auth and missing_scope (with needed/provided) to auth errors", async () => {
    const bad = await runNode(postMessage, {
      config: { channel: "C0SEC", text: "x" },
      credentials: credentials("xoxb-wrong"),
    });
    expect(bad.outcome).toMatchObject({
      status: "failed",
      error: { code: "WEFT_E_AUTH", details: { error: "invalid_auth" } },
    });
    fake.tokens.set("xoxb-readonly", ["channels:read"]);
    const scoped = await runNode(postMessage, {
      config: { channel: "C0SEC", text: "x" },
      credentials: credentials("xoxb-readonly"),
    });
    expect(scoped.outcome).toMatchObject({
      status: "failed",
      error: {
        code: "WEFT_E_AUTH",
        retryable: false,
        details: { error: "missing_scope", needed: "chat:write", provided: "channels:read" },
      },
    });
    if (scoped.outcome.status === "failed") expect(scoped.outcome.error.message).toContain("needs chat:write");
  });

  it("retries ok:false internal_error through the retry policy", async () => {
    fake.inject({
      path: "/api/chat.postMessage",
      status: 200,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ok: false, error: "internal_error" }),
    });
    const { outcome, attempts } = await runNode(postMessage, {
      config: { channel: "C0SEC", text: "x" },
      credentials: credentials(),
      retry: { maxAttempts: 2 },
    });
    expect(outcome.status).toBe("succeeded");
    expect(attempts).toBe(2);
  });

  it("waits out HTTP 429 Retry-After inside the attempt", async () => {
    fake.rateLimit("/api/chat.postMessage", 1);
    const { outcome, attempts } = await runNode(postMessage, {
      config: { channel: "C0SEC", text: "x" },
      credentials: credentials(),
    });
    expect(outcome.status).toBe("succeeded");
    expect(attempts).toBe(1);
    expect(fake.messages).toHaveLength(1);
  });

  it("hands a long Retry-After back to the kernel", async () => {
    fake.rateLimit("/api/chat.postMessage", 90);
    const { outcome } = await runNode(postMessage, {
      config: { channel: "C0SEC", text: "x" },
      credentials: credentials(),
    });
    expect(outcome).toMatchObject({
      status: "failed",
      error: { code: "WEFT_E_RATE_LIMITED", retryable: true, retryAfterMs: 90_000, details: { error: "ratelimited" } },
    });
  });

  it("treats an HTML 503 page as a retryable server error", async () => {
    fake.inject({ path: "/api/chat.postMessage", status: 503, body: "<html><body>Service Unavailable</body></html>" });
    const { outcome, attempts } = await runNode(postMessage, {
      config: { channel: "C0SEC", text: "x" },
      credentials: credentials(),
      retry: { maxAttempts: 2 },
    });
    expect(outcome.status).toBe("succeeded");
    // Not retried inline: the message may have been posted before the 503.
    expect(attempts).toBe(2);
  });

  it("paces messages to one channel so Slack's per-channel limit is never hit", async () => {
    fake.channelLimitPerSecond = 1;
    for (let i = 0; i < 3; i++) {
      const { outcome } = await runNode(postMessage, {
        config: { channel: "C0SEC", text: `m${i}` },
        credentials: credentials(),
      });
      expect(outcome.status).toBe("succeeded");
    }
    expect(fake.rateLimited).toBe(0);
    expect(fake.messages.map((m) => m.text)).toEqual(["m0", "m1", "m2"]);
  });

  it("uses the runtime's shared rate limiter when the run offers one", async () => {
    const acquired: RateLimit[] = [];
    const shared: RateLimiter = {
      async acquire(limit) {
        acquired.push(limit);
      },
    };
    await runNode(postMessage, {
      config: { channel: "#sec-alerts", text: "x", ratePerSecond: 0.5 },
      credentials: credentials(),
      services: { [RATE_LIMITER]: shared },
    });
    expect(acquired).toEqual([{ key: "slack:chat.postMessage:sec-alerts", limit: 1, intervalMs: 2000 }]);
  });

  it("rejects config without text or blocks", async () => {
    const { outcome } = await runNode(postMessage, { config: { channel: "C0SEC" }, credentials: credentials() });
    expect(outcome).toMatchObject({ status: "failed", error: { code: "WEFT_E_CONFIG_INVALID", retryable: false } });
    expect(JSON.stringify(outcome)).toContain("text or blocks is required");
    expect(fake.requests).toHaveLength(0);
  });

  it("is cancelled mid-call", async () => {
    fake.inject({ path: "/api/chat.postMessage", hang: true });
    const controller = new AbortController();
    const watcher = setInterval(() => {
      if (fake.requests.length > 0) controller.abort();
    }, 5);
    try {
      const { outcome } = await runNode(postMessage, {
        config: { channel: "C0SEC", text: "x" },
        credentials: credentials(),
        signal: controller.signal,
      });
      expect(outcome.status).toBe("cancelled");
    } finally {
      clearInterval(watcher);
    }
  });
});

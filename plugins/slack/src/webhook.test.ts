import { runNode } from "@weft/sdk/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeSlack } from "../test/fake-slack.ts";
import { webhook } from "./webhook.ts";

let fake: FakeSlack;
beforeEach(async () => {
  fake = new FakeSlack();
  await fake.start();
});
afterEach(() => fake.close());

const credentials = (path?: string) => ({ type: "slackWebhook", values: { url: fake.webhookUrl(path) } });

describe("slack.webhook", () => {
  it("posts and accepts the plain-text ok", async () => {
    const { outcome } = await runNode(webhook, { config: { text: "scan done" }, credentials: credentials() });
    expect(outcome).toMatchObject({ status: "succeeded", output: { ok: true } });
    expect(fake.messages[0]).toMatchObject({ channel: "C0SEC", text: "scan done", via: "webhook" });
  });

  it.each([
    ["archived", 410, "channel_is_archived", "WEFT_E_SLACK_WEBHOOK"],
    ["revoked", 403, "invalid_token", "WEFT_E_AUTH"],
  ] as const)("maps a %s hook's plain-text error to a typed error", async (state, status, error, code) => {
    fake.webhooks.get("/services/T000/B000/secret")!.state = state;
    const { outcome, attempts } = await runNode(webhook, {
      config: { text: "x" },
      credentials: credentials(),
      retry: { maxAttempts: 3 },
    });
    expect(outcome).toMatchObject({ status: "failed", error: { code, retryable: false, details: { status, error } } });
    expect(attempts).toBe(1);
  });

  it("maps an unknown hook (404 no_service) to WEFT_E_REMOTE_NOT_FOUND", async () => {
    const { outcome } = await runNode(webhook, {
      config: { text: "x" },
      credentials: credentials("/services/T0/B0/gone"),
    });
    expect(outcome).toMatchObject({
      status: "failed",
      error: { code: "WEFT_E_REMOTE_NOT_FOUND", details: { error: "no_service" } },
    });
  });

  it("maps invalid_payload (400) without retrying", async () => {
    fake.inject({
      path: /^\/services\//,
      status: 400,
      headers: { "content-type": "text/plain" },
      body: "invalid_payload",
    });
    const { outcome } = await runNode(webhook, {
      config: { text: "x" },
      credentials: credentials(),
      retry: { maxAttempts: 2 },
    });
    expect(outcome).toMatchObject({
      status: "failed",
      error: { code: "WEFT_E_SLACK_WEBHOOK", retryable: false, details: { error: "invalid_payload" } },
    });
  });

  it("waits out a 429 and retries a 500 through the retry policy", async () => {
    fake.rateLimit(/^\/services\//, 1);
    fake.inject({
      path: /^\/services\//,
      status: 500,
      headers: { "content-type": "text/plain" },
      body: "rollup_error",
    });
    const { outcome, attempts } = await runNode(webhook, {
      config: { text: "x" },
      credentials: credentials(),
      retry: { maxAttempts: 2 },
    });
    expect(outcome.status).toBe("succeeded");
    expect(attempts).toBe(2);
    expect(fake.messages).toHaveLength(1);
  });

  it("rejects config without text or blocks", async () => {
    const { outcome } = await runNode(webhook, { config: { blocks: [] }, credentials: credentials() });
    expect(outcome).toMatchObject({ status: "failed", error: { code: "WEFT_E_CONFIG_INVALID" } });
  });

  it("is cancelled mid-call", async () => {
    fake.inject({ path: /^\/services\//, hang: true });
    const controller = new AbortController();
    const watcher = setInterval(() => {
      if (fake.requests.length > 0) controller.abort();
    }, 5);
    try {
      const { outcome } = await runNode(webhook, {
        config: { text: "x" },
        credentials: credentials(),
        signal: controller.signal,
      });
      expect(outcome.status).toBe("cancelled");
    } finally {
      clearInterval(watcher);
    }
  });
});

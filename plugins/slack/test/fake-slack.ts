// A local stand-in for the Slack Web API (`chat.postMessage`) and incoming webhooks, faithful to
// what the plugin depends on: HTTP 200 `{ok:false, error}` for API errors (`missing_scope` with
// `needed`/`provided`), 429 with `Retry-After` and `{ok:false, error:"ratelimited"}`, HTML 5xx
// pages, and webhooks answering plain-text `ok` or plain-text error codes.
// Tests steer it through the public fields and `inject()`.
import type { IncomingHttpHeaders, ServerResponse } from "node:http";
import { FakeService, type RecordedRequest, sendJson, sendText } from "@weft/sdk/testing";

export interface FakeChannel {
  id: string;
  name: string;
  member: boolean;
  archived: boolean;
}

export interface PostedMessage {
  channel: string;
  ts: string;
  text?: string;
  blocks?: unknown;
  threadTs?: string;
  via: "api" | "webhook";
}

export interface FakeWebhook {
  channel: string;
  state: "active" | "archived" | "revoked";
}

export class FakeSlack extends FakeService {
  /** Bot tokens and the scopes each was granted. */
  tokens = new Map<string, string[]>([["xoxb-test", ["chat:write", "channels:read"]]]);
  channels: FakeChannel[] = [
    { id: "C0SEC", name: "sec-alerts", member: true, archived: false },
    { id: "C0OUT", name: "outsiders", member: false, archived: false },
    { id: "C0OLD", name: "old-alerts", member: true, archived: true },
  ];
  /** Incoming webhooks by path (`/services/T…/B…/…`). */
  webhooks = new Map<string, FakeWebhook>([["/services/T000/B000/secret", { channel: "C0SEC", state: "active" }]]);
  /** When set, more than this many messages per second to one channel answer 429. */
  channelLimitPerSecond: number | undefined = undefined;
  readonly messages: PostedMessage[] = [];
  /** 429s answered because of `channelLimitPerSecond`. */
  rateLimited = 0;
  private readonly lastPostAt = new Map<string, number>();
  private tsCounter = 0;
  protected override faultContentType = "text/html";

  /** Answer the next `times` matching requests with 429 `Retry-After: seconds` as Slack does. */
  rateLimit(path: string | RegExp, seconds: number, times = 1): void {
    this.inject({
      path,
      times,
      status: 429,
      headers: { "retry-after": String(seconds), "content-type": "application/json; charset=utf-8" },
      body: JSON.stringify({ ok: false, error: "ratelimited" }),
    });
  }

  /** The Web API base URL (`…/api`) for the `slack` credential. */
  get apiUrl(): string {
    return `${this.url}/api`;
  }

  /** The full URL of a configured incoming webhook. */
  webhookUrl(path = "/services/T000/B000/secret"): string {
    return `${this.url}${path}`;
  }

  // Slack never refuses a body up front: each endpoint reports a bad one in its own way, so a JSON
  // body that does not parse is kept as its text for `isMalformedJson`.
  protected override decodeBody(raw: string, headers: IncomingHttpHeaders): unknown {
    const contentType = String(headers["content-type"] ?? "");
    if (contentType.includes("application/json")) {
      try {
        return raw ? JSON.parse(raw) : {};
      } catch {
        return raw;
      }
    }
    if (contentType.includes("application/x-www-form-urlencoded")) return Object.fromEntries(new URLSearchParams(raw));
    return raw;
  }

  protected override answerFailure(res: ServerResponse) {
    sendText(res, 500, "<html><body><h1>500 Internal Server Error</h1></body></html>", "text/html");
  }

  protected route(request: RecordedRequest, res: ServerResponse) {
    const { method, path, body } = request;
    const parseFailed = isMalformedJson(request);
    if (path.startsWith("/services/")) return this.webhook(res, path, body, parseFailed);
    if (method === "POST" && path === "/api/chat.postMessage") {
      if (parseFailed) return sendJson(res, 200, { ok: false, error: "invalid_json" });
      return this.postMessage(request, res, body as Record<string, unknown>);
    }
    return sendJson(res, 404, { ok: false, error: "unknown_method" });
  }

  private postMessage(request: RecordedRequest, res: ServerResponse, body: Record<string, unknown>) {
    const auth = request.headers.authorization;
    const token = typeof auth === "string" && auth.startsWith("Bearer ") ? auth.slice(7) : undefined;
    if (!token) return sendJson(res, 200, { ok: false, error: "not_authed" });
    const scopes = this.tokens.get(token);
    if (!scopes) return sendJson(res, 200, { ok: false, error: "invalid_auth" });
    if (!scopes.includes("chat:write")) {
      return sendJson(res, 200, {
        ok: false,
        error: "missing_scope",
        needed: "chat:write",
        provided: scopes.join(","),
      });
    }
    const target = String(body["channel"] ?? "").replace(/^#/, "");
    const channel = this.channels.find((c) => c.id === target || c.name === target);
    if (!channel) return sendJson(res, 200, { ok: false, error: "channel_not_found" });
    if (channel.archived) return sendJson(res, 200, { ok: false, error: "is_archived" });
    if (!channel.member) return sendJson(res, 200, { ok: false, error: "not_in_channel" });
    const text = typeof body["text"] === "string" ? body["text"] : undefined;
    const blocks = body["blocks"];
    if (blocks !== undefined && !Array.isArray(blocks))
      return sendJson(res, 200, { ok: false, error: "invalid_blocks" });
    if (!text && (!Array.isArray(blocks) || blocks.length === 0))
      return sendJson(res, 200, { ok: false, error: "no_text" });
    if (text && text.length > 40_000) return sendJson(res, 200, { ok: false, error: "msg_too_long" });
    if (this.channelLimitPerSecond !== undefined) {
      const now = Date.now();
      const last = this.lastPostAt.get(channel.id);
      // Slack tolerates short bursts; the fake allows arrival jitter of a fifth of the spacing.
      if (last !== undefined && now - last < (0.8 * 1000) / this.channelLimitPerSecond) {
        this.rateLimited++;
        res.writeHead(429, { "content-type": "application/json; charset=utf-8", "retry-after": "1" });
        res.end(JSON.stringify({ ok: false, error: "ratelimited" }));
        return;
      }
      this.lastPostAt.set(channel.id, now);
    }
    const ts = this.nextTs();
    const threadTs = typeof body["thread_ts"] === "string" ? body["thread_ts"] : undefined;
    this.messages.push({ channel: channel.id, ts, text, blocks, threadTs, via: "api" });
    sendJson(res, 200, {
      ok: true,
      channel: channel.id,
      ts,
      message: { type: "message", text: text ?? "", ts, ...(threadTs ? { thread_ts: threadTs } : {}) },
    });
  }

  private webhook(res: ServerResponse, path: string, body: unknown, parseFailed: boolean) {
    const hook = this.webhooks.get(path);
    if (!hook) return sendText(res, 404, "no_service");
    if (hook.state === "revoked") return sendText(res, 403, "invalid_token");
    if (hook.state === "archived") return sendText(res, 410, "channel_is_archived");
    if (parseFailed || typeof body !== "object" || body === null) return sendText(res, 400, "invalid_payload");
    const payload = body as Record<string, unknown>;
    const text = typeof payload["text"] === "string" ? payload["text"] : undefined;
    if (!text && !Array.isArray(payload["blocks"])) return sendText(res, 400, "no_text");
    this.messages.push({
      channel: hook.channel,
      ts: this.nextTs(),
      text,
      blocks: payload["blocks"],
      threadTs: typeof payload["thread_ts"] === "string" ? payload["thread_ts"] : undefined,
      via: "webhook",
    });
    sendText(res, 200, "ok");
  }

  private nextTs(): string {
    this.tsCounter++;
    return `${Math.floor(Date.now() / 1000)}.${String(this.tsCounter).padStart(6, "0")}`;
  }
}

/** A JSON body `decodeBody` kept as text: a body that parsed never equals its own non-empty text. */
function isMalformedJson(request: RecordedRequest): boolean {
  const json = String(request.headers["content-type"] ?? "").includes("application/json");
  return json && request.raw !== "" && request.body === request.raw;
}

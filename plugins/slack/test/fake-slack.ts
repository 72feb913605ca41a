// A local stand-in for the Slack Web API (`chat.postMessage`) and incoming webhooks, faithful to
// what the plugin depends on: HTTP 200 `{ok:false, error}` for API errors (`missing_scope` with
// `needed`/`provided`), 429 with `Retry-After` and `{ok:false, error:"ratelimited"}`, HTML 5xx
// pages, and webhooks answering plain-text `ok` or plain-text error codes.
// Tests steer it through the public fields and `inject()`.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface Fault {
  method?: string;
  path: string | RegExp;
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  times?: number;
  /** Never answer; the request stays open until the client goes away. */
  hang?: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: unknown;
}

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

export class FakeSlack {
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
  readonly requests: RecordedRequest[] = [];
  /** 429s answered because of `channelLimitPerSecond`. */
  rateLimited = 0;
  private readonly faults: Fault[] = [];
  private readonly lastPostAt = new Map<string, number>();
  private tsCounter = 0;
  private server: Server | undefined;
  url = "";

  inject(fault: Fault): void {
    this.faults.push({ times: 1, ...fault });
  }

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

  calls(method: string, path: string | RegExp): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && matches(path, r.path));
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      void this.handle(req, res).catch(() => {
        html(res, 500, "<html><body><h1>500 Internal Server Error</h1></body></html>");
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    return this.url;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://fake");
    const method = req.method ?? "GET";
    const raw = await readBody(req);
    const contentType = String(req.headers["content-type"] ?? "");
    let body: unknown = raw;
    let parseFailed = false;
    if (contentType.includes("application/json")) {
      try {
        body = raw ? JSON.parse(raw) : {};
      } catch {
        parseFailed = true;
      }
    } else if (contentType.includes("application/x-www-form-urlencoded")) {
      body = Object.fromEntries(new URLSearchParams(raw));
    }
    this.requests.push({ method, path: url.pathname, headers: req.headers, body });

    const fault = this.takeFault(method, url.pathname);
    if (fault) {
      if (fault.hang) return;
      res.writeHead(fault.status ?? 500, { "content-type": "text/html", ...fault.headers });
      res.end(fault.body ?? "");
      return;
    }

    if (url.pathname.startsWith("/services/")) return this.webhook(res, url.pathname, body, parseFailed);
    if (method === "POST" && url.pathname === "/api/chat.postMessage") {
      if (parseFailed) return send(res, 200, { ok: false, error: "invalid_json" });
      return this.postMessage(req, res, body as Record<string, unknown>);
    }
    return send(res, 404, { ok: false, error: "unknown_method" });
  }

  private postMessage(req: IncomingMessage, res: ServerResponse, body: Record<string, unknown>) {
    const auth = req.headers.authorization;
    const token = typeof auth === "string" && auth.startsWith("Bearer ") ? auth.slice(7) : undefined;
    if (!token) return send(res, 200, { ok: false, error: "not_authed" });
    const scopes = this.tokens.get(token);
    if (!scopes) return send(res, 200, { ok: false, error: "invalid_auth" });
    if (!scopes.includes("chat:write")) {
      return send(res, 200, { ok: false, error: "missing_scope", needed: "chat:write", provided: scopes.join(",") });
    }
    const target = String(body["channel"] ?? "").replace(/^#/, "");
    const channel = this.channels.find((c) => c.id === target || c.name === target);
    if (!channel) return send(res, 200, { ok: false, error: "channel_not_found" });
    if (channel.archived) return send(res, 200, { ok: false, error: "is_archived" });
    if (!channel.member) return send(res, 200, { ok: false, error: "not_in_channel" });
    const text = typeof body["text"] === "string" ? body["text"] : undefined;
    const blocks = body["blocks"];
    if (blocks !== undefined && !Array.isArray(blocks)) return send(res, 200, { ok: false, error: "invalid_blocks" });
    if (!text && (!Array.isArray(blocks) || blocks.length === 0))
      return send(res, 200, { ok: false, error: "no_text" });
    if (text && text.length > 40_000) return send(res, 200, { ok: false, error: "msg_too_long" });
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
    send(res, 200, {
      ok: true,
      channel: channel.id,
      ts,
      message: { type: "message", text: text ?? "", ts, ...(threadTs ? { thread_ts: threadTs } : {}) },
    });
  }

  private webhook(res: ServerResponse, path: string, body: unknown, parseFailed: boolean) {
    const hook = this.webhooks.get(path);
    if (!hook) return plain(res, 404, "no_service");
    if (hook.state === "revoked") return plain(res, 403, "invalid_token");
    if (hook.state === "archived") return plain(res, 410, "channel_is_archived");
    if (parseFailed || typeof body !== "object" || body === null) return plain(res, 400, "invalid_payload");
    const payload = body as Record<string, unknown>;
    const text = typeof payload["text"] === "string" ? payload["text"] : undefined;
    if (!text && !Array.isArray(payload["blocks"])) return plain(res, 400, "no_text");
    this.messages.push({
      channel: hook.channel,
      ts: this.nextTs(),
      text,
      blocks: payload["blocks"],
      threadTs: typeof payload["thread_ts"] === "string" ? payload["thread_ts"] : undefined,
      via: "webhook",
    });
    plain(res, 200, "ok");
  }

  private nextTs(): string {
    this.tsCounter++;
    return `${Math.floor(Date.now() / 1000)}.${String(this.tsCounter).padStart(6, "0")}`;
  }

  private takeFault(method: string, path: string): Fault | undefined {
    const index = this.faults.findIndex((f) => (!f.method || f.method === method) && matches(f.path, path));
    if (index < 0) return undefined;
    const fault = this.faults[index]!;
    fault.times = (fault.times ?? 1) - 1;
    if (fault.times <= 0) this.faults.splice(index, 1);
    return fault;
  }
}

function matches(pattern: string | RegExp, path: string): boolean {
  return typeof pattern === "string" ? pattern === path : pattern.test(path);
}

function send(res: ServerResponse, status: number, body: unknown) {
  if (res.headersSent) return;
  res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
  res.end(JSON.stringify(body));
}

function plain(res: ServerResponse, status: number, text: string) {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8" });
  res.end(text);
}

function html(res: ServerResponse, status: number, page: string) {
  if (res.headersSent) return;
  res.writeHead(status, { "content-type": "text/html" });
  res.end(page);
}

async function readBody(req: IncomingMessage): Promise<string> {
  let text = "";
  for await (const chunk of req) text += String(chunk);
  return text;
}

import type { ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { FakeService, type RecordedRequest, sendJson } from "./fake-service.ts";

// A tiny vendor: tickets API with its own error shape, to exercise the base as a plugin's fake would.
class FakeTickets extends FakeService {
  readonly tickets: { id: number; title: string }[] = [];

  protected override answerMalformedBody(res: ServerResponse, error: unknown) {
    sendJson(res, 400, { code: "bad_json", detail: error instanceof Error ? error.name : "?" });
  }

  protected override answerFailure(res: ServerResponse, error: unknown) {
    sendJson(res, 500, { code: "internal", detail: String(error) });
  }

  protected async route(request: RecordedRequest, res: ServerResponse) {
    if (request.path === "/boom") throw new Error("database on fire");
    if (request.method === "POST" && request.path === "/tickets") {
      const ticket = { id: this.tickets.length + 1, title: String((request.body as { title?: unknown }).title) };
      this.tickets.push(ticket);
      return sendJson(res, 201, ticket);
    }
    if (request.method === "GET" && request.path === "/tickets") return sendJson(res, 200, this.tickets);
    sendJson(res, 404, { code: "not_found" });
  }
}

// The base's own error shapes, with no hook overridden.
class PlainFake extends FakeService {
  protected route(): void {
    throw new Error("not implemented");
  }
}

const fakes: FakeService[] = [];
async function started<T extends FakeService>(fake: T): Promise<T> {
  fakes.push(fake);
  await fake.start();
  return fake;
}
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.close()));
});

const post = (url: string, body: string) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json", "x-trace": "t-1" }, body });

describe("FakeService", () => {
  it("listens on a loopback port and answers through the subclass's routes", async () => {
    const fake = new FakeTickets();
    fakes.push(fake);
    const url = await fake.start();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(fake.url).toBe(url);
    const created = await post(`${url}/tickets`, JSON.stringify({ title: "Patch OpenSSL" }));
    expect(created.status).toBe(201);
    expect(await created.json()).toEqual({ id: 1, title: "Patch OpenSSL" });
    expect(await (await fetch(`${url}/tickets`)).json()).toEqual([{ id: 1, title: "Patch OpenSSL" }]);
  });

  it("records every request with method, path, query, headers and decoded body, queried by calls()", async () => {
    const fake = await started(new FakeTickets());
    await post(`${fake.url}/tickets?dryRun=true&team=sec`, JSON.stringify({ title: "Rotate keys" }));
    await fetch(`${fake.url}/tickets`);
    await fetch(`${fake.url}/tickets/7`);

    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "POST /tickets",
      "GET /tickets",
      "GET /tickets/7",
    ]);
    const [created] = fake.calls("POST", "/tickets");
    expect(created).toMatchObject({
      query: { dryRun: "true", team: "sec" },
      headers: { "x-trace": "t-1", "content-type": "application/json" },
      body: { title: "Rotate keys" },
      raw: '{"title":"Rotate keys"}',
    });
    expect(fake.calls("GET", "/tickets")).toHaveLength(1);
    expect(fake.calls("GET", /^\/tickets/)).toHaveLength(2);
    expect(fake.calls("DELETE", /./)).toEqual([]);
  });

  it("keeps multi-byte text intact however the body is chunked", async () => {
    const fake = await started(new FakeTickets());
    await post(`${fake.url}/tickets`, JSON.stringify({ title: "Überprüfung — 漏洞 🔒".repeat(5000) }));
    expect(fake.tickets[0]?.title).toBe("Überprüfung — 漏洞 🔒".repeat(5000));
  });

  it("answers an injected fault once, then routes normally again", async () => {
    const fake = await started(new FakeTickets());
    fake.inject({
      method: "GET",
      path: "/tickets",
      status: 503,
      headers: { "retry-after": "3" },
      body: "<html>down</html>",
    });

    const faulted = await fetch(`${fake.url}/tickets`);
    expect(faulted.status).toBe(503);
    expect(faulted.headers.get("retry-after")).toBe("3");
    expect(faulted.headers.get("content-type")).toBe("application/json");
    expect(await faulted.text()).toBe("<html>down</html>");
    expect((await fetch(`${fake.url}/tickets`)).status).toBe(200);
    // Faulted requests are recorded too: a test counts the retries it caused.
    expect(fake.calls("GET", "/tickets")).toHaveLength(2);
  });

  it("matches faults by method and path pattern, for `times` requests, in injection order", async () => {
    const fake = await started(new FakeTickets());
    fake.inject({ path: /^\/tickets/, status: 429, times: 2 });
    fake.inject({ method: "GET", path: "/tickets", status: 502 });

    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await fetch(`${fake.url}/tickets`)).status);
    expect(statuses).toEqual([429, 429, 502, 200]);

    fake.inject({ method: "POST", path: "/tickets", status: 500 });
    expect((await fetch(`${fake.url}/tickets`)).status).toBe(200);
    const failed = await post(`${fake.url}/tickets`, "{}");
    expect(failed.status).toBe(500);
    expect(await failed.text()).toBe("");
    expect(fake.tickets).toEqual([]);
  });

  it("leaves a hanging request open until the client gives up", async () => {
    const fake = await started(new FakeTickets());
    fake.inject({ path: "/tickets", hang: true });
    const controller = new AbortController();
    const answer = fetch(`${fake.url}/tickets`, { signal: controller.signal });
    await expect.poll(() => fake.requests.length).toBe(1);
    controller.abort();
    await expect(answer).rejects.toThrow(/abort/i);
    expect((await fetch(`${fake.url}/tickets`)).status).toBe(200);
  });

  it("closes while a request hangs, failing it instead of waiting for it", async () => {
    const fake = await started(new FakeTickets());
    fake.inject({ path: "/tickets", hang: true });
    const answer = fetch(`${fake.url}/tickets`);
    await expect.poll(() => fake.requests.length).toBe(1);

    await fake.close();
    await expect(answer).rejects.toThrow(TypeError);
    await expect(fetch(`${fake.url}/tickets`)).rejects.toThrow(TypeError);
    await fake.close(); // closing twice is harmless
  });

  it("answers a route that throws with the vendor's 500 body", async () => {
    const fake = await started(new FakeTickets());
    const answer = await fetch(`${fake.url}/boom`);
    expect(answer.status).toBe(500);
    expect(await answer.json()).toEqual({ code: "internal", detail: "Error: database on fire" });
    expect(fake.calls("GET", "/boom")).toHaveLength(1);
  });

  it("answers a body that is not JSON with the vendor's 400 body, without recording it", async () => {
    const fake = await started(new FakeTickets());
    const answer = await post(`${fake.url}/tickets`, "{title:");
    expect(answer.status).toBe(400);
    expect(await answer.json()).toEqual({ code: "bad_json", detail: "SyntaxError" });
    expect(fake.requests).toEqual([]);
    expect(fake.tickets).toEqual([]);
  });

  it("has JSON error bodies of its own when a fake overrides no hook", async () => {
    const fake = await started(new PlainFake());
    const broken = await fetch(`${fake.url}/anything`);
    expect(broken.status).toBe(500);
    expect(broken.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(await broken.json()).toEqual({ error: "Internal Server Error", message: "Error: not implemented" });

    const malformed = await post(`${fake.url}/anything`, "nope");
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: "Bad Request", message: expect.any(String) });
  });
});

// Bad input and access control: every refusal is a 4xx with the error envelope, and nothing is written.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "./__fixtures__/api.ts";
import { branchingWorkflow } from "./__fixtures__/workflows.ts";
import { ROLES, type Role } from "./http/auth.ts";
import { signWebhook } from "./routes/triggers.ts";
import { ENV_ADMIN_KEY_NAME, ensureAdminKey } from "./server.ts";

let api: TestApi;
let workflowId: string;
beforeAll(async () => {
  api = await startTestApi({ bodyLimit: "64kb" });
  const res = await api.call("POST", "/api/workflows", { role: "editor", body: { definition: branchingWorkflow() } });
  workflowId = res.body.id;
});
afterAll(async () => {
  await api?.close();
});

/** Counts of what a refused request must not have changed. */
async function written() {
  const [workflows, audit, runs, credentials, keys, triggers, versions] = await Promise.all([
    api.store.workflows.list({ limit: 1 }),
    api.store.audit.list({ limit: 1 }),
    api.store.runs.list({ limit: 1 }),
    api.store.credentials.list(),
    api.store.apiKeys.list(),
    api.store.triggers.listForWorkflow(workflowId),
    api.store.workflows.listVersions(workflowId),
  ]);
  const draft = await api.call("GET", `/api/workflows/${workflowId}`, { role: "viewer" });
  return {
    workflows: workflows.total,
    audit: audit.total,
    runs: runs.total,
    credentials: credentials.length,
    keys: keys.length,
    triggers: triggers.length,
    versions: versions.length,
    draft: JSON.stringify(draft.body),
  };
}

async function refused(
  method: string,
  path: string,
  options: Parameters<TestApi["call"]>[2],
  status: number,
  code: string,
) {
  const before = await written();
  const res = await api.call(method, path, options);
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.error.code).toBe(code);
  expect(typeof res.body.error.message).toBe("string");
  expect(await written()).toEqual(before);
  return res.body.error;
}

describe("authentication and roles", () => {
  const sample: Record<string, string> = {
    id: "00000000-0000-4000-8000-000000000000",
    triggerId: "00000000-0000-4000-8000-000000000000",
    type: "condition.if",
    name: "x",
    version: "1.0.0",
  };

  it("answers 401 without a valid key and 403 below each route's role", async () => {
    let checked = 0;
    for (const route of api.server.routes) {
      if (route.access === "public" || route.access === "signature") continue;
      const path = route.path.replace(/:([A-Za-z]+)/g, (_, name: string) => sample[name] ?? "x");
      const method = route.method.toUpperCase();
      const body = route.body ? {} : undefined;
      const anonymous = await api.call(method, path, { role: "none", body });
      expect(anonymous.status, `${method} ${path} without a key`).toBe(401);
      expect(anonymous.body.error.code).toBe("WEFT_E_UNAUTHENTICATED");
      const forged = await api.call(method, path, { key: "weft_not-a-real-key", body });
      expect(forged.status, `${method} ${path} with an unknown key`).toBe(401);
      for (const role of ROLES.slice(0, ROLES.indexOf(route.access as Role))) {
        const res = await api.call(method, path, { role, body });
        expect(res.status, `${method} ${path} as ${role}`).toBe(403);
        expect(res.body.error).toMatchObject({ code: "WEFT_E_FORBIDDEN", details: { required: route.access, role } });
      }
      checked++;
    }
    expect(checked).toBeGreaterThan(20);
  });

  it("accepts WEFT_ADMIN_API_KEY-style configured keys as admin", async () => {
    const other = await import("./__fixtures__/api.ts").then((m) =>
      m.startTestApi({ adminApiKey: "configured-admin-key" }),
    );
    try {
      const listed = await other.call("GET", "/api/api-keys", { key: "configured-admin-key" });
      expect(listed.status).toBe(200);
      expect((await other.call("GET", "/api/api-keys", { key: "configured-admin-kez" })).status).toBe(401);
      // Seeding again (a restart) stores nothing new; only the hash was ever stored.
      expect(await ensureAdminKey(other.store, { WEFT_ADMIN_API_KEY: "configured-admin-key" })).toEqual({
        source: "env",
      });
      const seeded = (await other.store.apiKeys.list()).filter((k) => k.name === ENV_ADMIN_KEY_NAME);
      expect(seeded).toHaveLength(1);
      expect(JSON.stringify(listed.body)).not.toContain("configured-admin-key");
      // A new value takes the old one out.
      await ensureAdminKey(other.store, { WEFT_ADMIN_API_KEY: "rotated-admin-key-0001" });
      expect((await other.call("GET", "/api/api-keys", { key: "rotated-admin-key-0001" })).status).toBe(200);
      // (at startup, where rotation happens, no verification is cached yet)
      expect(await other.store.apiKeys.verify("configured-admin-key")).toBeUndefined();
    } finally {
      await other.close();
    }
  });
});

describe("bad input", () => {
  it("answers malformed JSON with 400", async () => {
    await refused(
      "POST",
      "/api/workflows",
      { role: "editor", raw: '{"definition": {', headers: { "content-type": "application/json" } },
      400,
      "WEFT_E_MALFORMED_JSON",
    );
    await refused(
      "PUT",
      `/api/workflows/${workflowId}`,
      { role: "editor", raw: "not json" },
      400,
      "WEFT_E_MALFORMED_JSON",
    );
  });

  it("answers wrong types and missing fields with 400 and the field path", async () => {
    const wrong = await refused(
      "POST",
      "/api/workflows",
      {
        role: "editor",
        body: { definition: { ...branchingWorkflow(), nodes: [{ id: 1, type: "trigger.manual", data: {} }] } },
      },
      400,
      "WEFT_E_VALIDATION",
    );
    expect(wrong.details.issues).toContainEqual(
      expect.objectContaining({ in: "body", path: ["definition", "nodes", 0, "id"] }),
    );
    const missing = await refused(
      "POST",
      "/api/workflows",
      { role: "editor", body: { name: "x" } },
      400,
      "WEFT_E_VALIDATION",
    );
    expect(missing.details.issues).toContainEqual(expect.objectContaining({ path: ["definition"] }));
    const query = await refused("GET", "/api/workflows?limit=lots", { role: "viewer" }, 400, "WEFT_E_VALIDATION");
    expect(query.details.issues[0]).toMatchObject({ in: "query", path: ["limit"] });
    await refused(
      "POST",
      `/api/workflows/${workflowId}/execute`,
      { role: "operator", body: { version: 3 } },
      400,
      "WEFT_E_VALIDATION",
    );
    await refused("POST", "/api/api-keys", { body: { name: "k", role: "root" } }, 400, "WEFT_E_VALIDATION");
    const creds = await refused(
      "POST",
      "/api/credentials",
      { body: { name: "c", type: "http.bearer", values: { token: 42 } } },
      400,
      "WEFT_E_VALIDATION",
    );
    expect(creds.details.issues[0].path).toEqual(["values", "token"]);
    await refused(
      "POST",
      "/api/credentials",
      { body: { name: "c", type: "no.such", values: {} } },
      400,
      "WEFT_E_VALIDATION",
    );
  });

  it("answers an oversized body with 413", async () => {
    const big = { definition: { ...branchingWorkflow(), description: "x".repeat(100_000) } };
    await refused("POST", "/api/workflows", { role: "editor", body: big }, 413, "WEFT_E_PAYLOAD_TOO_LARGE");
  });

  it("answers unknown ids with 404", async () => {
    const unknown = "5b0c9a52-0000-4000-8000-000000000001";
    await refused("GET", `/api/workflows/${unknown}`, { role: "viewer" }, 404, "WEFT_E_NOT_FOUND");
    await refused("GET", "/api/workflows/not-a-uuid", { role: "viewer" }, 404, "WEFT_E_NOT_FOUND");
    await refused("PUT", `/api/workflows/${unknown}`, { role: "editor", body: { name: "x" } }, 404, "WEFT_E_NOT_FOUND");
    await refused("DELETE", `/api/workflows/${unknown}`, { role: "editor" }, 404, "WEFT_E_NOT_FOUND");
    await refused("POST", `/api/workflows/${unknown}/execute`, { role: "operator", body: {} }, 404, "WEFT_E_NOT_FOUND");
    await refused("GET", `/api/workflows/${workflowId}/versions/9.9.9`, { role: "viewer" }, 404, "WEFT_E_NOT_FOUND");
    await refused(
      "POST",
      `/api/workflows/${workflowId}/execute`,
      { role: "operator", body: { version: "9.9.9" } },
      404,
      "WEFT_E_NOT_FOUND",
    );
    await refused("GET", `/api/runs/${unknown}`, { role: "viewer" }, 404, "WEFT_E_NOT_FOUND");
    await refused("POST", `/api/runs/${unknown}/cancel`, { role: "operator" }, 404, "WEFT_E_NOT_FOUND");
    await refused("POST", `/api/approvals/${unknown}/approve`, { role: "operator", body: {} }, 404, "WEFT_E_NOT_FOUND");
    await refused("DELETE", `/api/api-keys/${unknown}`, {}, 404, "WEFT_E_STORE_NOT_FOUND");
    await refused("DELETE", "/api/credentials/nothing-here", {}, 404, "WEFT_E_STORE_NOT_FOUND");
    await refused("POST", `/api/hooks/${unknown}`, { role: "none", raw: "{}" }, 404, "WEFT_E_NOT_FOUND");
    await refused("GET", "/api/nothing", { role: "viewer" }, 404, "WEFT_E_ROUTE_NOT_FOUND");
  });

  it("answers invalid graphs and unknown node types with 422, every problem per node", async () => {
    const cyclic = branchingWorkflow("Cycle");
    cyclic.edges.push({ id: "back", source: "page", target: "check" });
    const cycle = await refused(
      "POST",
      "/api/workflows",
      { role: "editor", body: { definition: cyclic } },
      422,
      "WEFT_E_INVALID_WORKFLOW",
    );
    expect(cycle.details.issues.some((i: { code: string }) => i.code === "WEFT_E_CYCLE")).toBe(true);

    const unknownType = branchingWorkflow("Unknown");
    unknownType.nodes.push({ id: "mystery", type: "acme.doMagic", data: {} });
    unknownType.edges.push({ id: "e9", source: "start", target: "mystery" });
    unknownType.edges.push({ id: "e10", source: "start", target: "ghost" });
    const unknown = await refused(
      "PUT",
      `/api/workflows/${workflowId}`,
      { role: "editor", body: { definition: unknownType } },
      422,
      "WEFT_E_INVALID_WORKFLOW",
    );
    expect(unknown.details.nodes.mystery[0].code).toBe("WEFT_E_UNKNOWN_NODE_TYPE");
    expect(unknown.details.issues.length).toBeGreaterThanOrEqual(2);

    const validation = await api.call("POST", `/api/workflows/${workflowId}/validate`, {
      role: "viewer",
      body: { definition: unknownType },
    });
    expect(validation.status).toBe(200);
    expect(validation.body.valid).toBe(false);
    expect(validation.body.nodes.mystery).toBeDefined();
  });

  it("answers an unsupported method with 405", async () => {
    const res = await api.call("PATCH", `/api/workflows/${workflowId}`, { role: "editor", body: {} });
    expect(res.status).toBe(405);
    expect(res.body.error.code).toBe("WEFT_E_METHOD_NOT_ALLOWED");
  });
});

describe("NUL characters", () => {
  // PostgreSQL text and jsonb cannot hold U+0000: each of these once reached the database and came
  // back as a 500 (SQLSTATE 08P01). They are refused at the edge, with where the character is.
  const nul = async (method: string, path: string, options: Parameters<TestApi["call"]>[2]) =>
    (await refused(method, path, options, 400, "WEFT_E_VALIDATION")).details.issues[0];

  it("refuses them in query strings and path parameters", async () => {
    expect(await nul("GET", "/api/workflows?text=%00", { role: "viewer" })).toMatchObject({
      in: "query",
      path: ["text"],
      code: "nul_character",
    });
    expect(await nul("GET", "/api/runs?triggerKind=a%00b", { role: "viewer" })).toMatchObject({
      in: "query",
      path: ["triggerKind"],
    });
    expect(await nul("GET", "/api/node-types/http%00", { role: "viewer" })).toMatchObject({
      in: "params",
      path: ["type"],
    });
  });

  it("refuses them anywhere in a workflow, keys included", async () => {
    expect(
      await nul("POST", "/api/workflows", {
        role: "editor",
        body: { name: "a\u0000", definition: branchingWorkflow() },
      }),
    ).toMatchObject({ in: "body", path: ["name"] });
    expect(
      await nul("POST", "/api/workflows", {
        role: "editor",
        body: { definition: { ...branchingWorkflow(), description: "x\u0000y" } },
      }),
    ).toMatchObject({ in: "body", path: ["definition", "description"] });
    const keyed = branchingWorkflow();
    (keyed.nodes[0] as { data: Record<string, unknown> }).data = { "la\u0000bel": "start" };
    expect(await nul("POST", "/api/workflows", { role: "editor", body: { definition: keyed } })).toMatchObject({
      path: ["definition", "nodes", 0, "data", "la\u0000bel"],
    });
    expect(
      await nul("PUT", `/api/workflows/${workflowId}`, { role: "editor", body: { description: "\u0000" } }),
    ).toMatchObject({ path: ["description"] });
    expect(
      await nul("PUT", `/api/workflows/${workflowId}`, { role: "editor", body: { tags: ["ok", "bad\u0000"] } }),
    ).toMatchObject({ path: ["tags", 1] });
  });

  it("refuses them in publish notes, trigger event names and run input, publishing nothing", async () => {
    expect(
      await nul("POST", `/api/workflows/${workflowId}/publish`, { role: "editor", body: { notes: "n\u0000" } }),
    ).toMatchObject({ path: ["notes"] });
    expect(
      await nul("POST", `/api/workflows/${workflowId}/triggers`, {
        role: "editor",
        body: { kind: "event", eventName: "a\u0000" },
      }),
    ).toMatchObject({ path: ["eventName"] });
    // The workflow is a draft: a refused execute must neither publish a version nor activate it.
    const before = await api.call("GET", `/api/workflows/${workflowId}`, { role: "viewer" });
    expect(before.body).toMatchObject({ status: "draft", latestVersion: null });
    expect(
      await nul("POST", `/api/workflows/${workflowId}/execute`, {
        role: "operator",
        body: { input: { host: "web-01\u0000" } },
      }),
    ).toMatchObject({ path: ["input", "host"] });
    expect(
      await nul("POST", `/api/workflows/${workflowId}/execute`, { role: "operator", body: { input: ["\u0000"] } }),
    ).toMatchObject({ path: ["input", 0] });
    const after = await api.call("GET", `/api/workflows/${workflowId}`, { role: "viewer" });
    expect(after.body).toMatchObject({ status: "draft", latestVersion: null });
    expect(await api.store.workflows.listVersions(workflowId)).toEqual([]);
  });

  it("refuses them in a signed webhook body without starting a run", async () => {
    const created = await api.call("POST", `/api/workflows/${workflowId}/triggers`, {
      role: "editor",
      body: { kind: "webhook" },
    });
    expect(created.status).toBe(201);
    const raw = JSON.stringify({ alert: "a\u0000" });
    const timestamp = Math.floor(Date.now() / 1000);
    const error = await refused(
      "POST",
      `/api/hooks/${created.body.id}`,
      {
        role: "none",
        raw,
        headers: {
          "content-type": "application/json",
          "x-weft-timestamp": String(timestamp),
          "x-weft-signature": signWebhook(created.body.secret, timestamp, raw),
        },
      },
      400,
      "WEFT_E_VALIDATION",
    );
    expect(error.details.issues[0]).toMatchObject({ in: "body", path: ["alert"] });
  });
});

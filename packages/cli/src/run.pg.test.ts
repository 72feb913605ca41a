// `weft run`, `weft validate` and `weft plugin` as a user runs them: the real bin in a child
// process, on a test database, calling a local HTTP server.
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/pg.ts";
import { weftCommand } from "./__fixtures__/weft.ts";

const example = path.resolve(import.meta.dirname, "../../../examples/http-script-branch.json");
const work = mkdtempSync(path.join(tmpdir(), "weft-cli-"));
let databaseUrl: string;
let server: Server;
let base: string;
let flaky = 0;

const weft = weftCommand(() => ({ databaseUrl, dataDir: work }));

beforeAll(async () => {
  databaseUrl = await createTestDatabase("cli");
  server = createServer((req, res) => {
    res.setHeader("content-type", "application/json");
    if (req.url === "/health") return res.end(JSON.stringify({ status: "ok", version: "7.1.0" }));
    if (req.url === "/degraded") return res.end(JSON.stringify({ status: "degraded" }));
    // Fails twice, then answers: the example's retry policy rides it out.
    if (req.url === "/flaky") {
      flaky++;
      if (flaky <= 2) {
        res.statusCode = 503;
        return res.end("{}");
      }
      return res.end(JSON.stringify({ status: "ok", version: "7.1.0" }));
    }
    res.statusCode = 500;
    res.end(JSON.stringify({ error: "boom" }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server?.closeAllConnections();
  server?.close();
});

describe("weft run", () => {
  it("runs the example to its healthy branch and prints the run record with every node", async () => {
    const { code, stdout } = await weft([
      "run",
      example,
      "--input",
      JSON.stringify({ url: `${base}/health` }),
      "--json",
    ]);
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({
      status: "succeeded",
      output: { report_ok: { verdict: "healthy", version: "7.1.0" } },
    });
    expect(result.runId).toMatch(/^[0-9a-f-]{36}$/);
    const steps = Object.fromEntries(result.steps.map((s: { nodeId: string }) => [s.nodeId, s]));
    expect(Object.keys(steps)).toEqual([
      "start",
      "fetch",
      "summarize",
      "healthy",
      "report_ok",
      "report_degraded",
      "report_unreachable",
    ]);
    expect(steps.fetch).toMatchObject({ status: "succeeded", attempts: 1, error: null });
    expect(steps.summarize.output).toMatchObject({ status: 200, healthy: true });
    expect(steps.report_degraded).toEqual({
      nodeId: "report_degraded",
      status: "skipped",
      attempts: 0,
      output: null,
      error: null,
    });
  });

  it("retries a failing call and shows per-node progress on stderr", async () => {
    const { code, stderr, stdout } = await weft(["run", example, "--input", JSON.stringify({ url: `${base}/flaky` })]);
    expect(code).toBe(0);
    expect(stderr).toMatch(/✓ fetch \(http\.request\) \d+ ms/);
    expect(stderr).toMatch(/↷ report_unreachable \(control\.noop\) skipped/);
    expect(stderr).toMatch(/✓ run [0-9a-f-]{36} succeeded/);
    expect(JSON.parse(stdout)).toEqual({ report_ok: expect.objectContaining({ verdict: "healthy" }) });
  });

  it("takes the error route when the endpoint keeps failing", async () => {
    const { code, stdout } = await weft([
      "run",
      example,
      "--input",
      JSON.stringify({ url: `${base}/broken` }),
      "--json",
    ]);
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    const fetch = result.steps.find((s: { nodeId: string }) => s.nodeId === "fetch");
    expect(fetch).toMatchObject({ attempts: 3, error: { code: "WEFT_E_HTTP_STATUS" } });
    expect(result.output.report_unreachable).toMatchObject({ verdict: "unreachable", error: "WEFT_E_HTTP_STATUS" });
  });

  it("exits 1 when the run fails", async () => {
    const file = path.join(work, "fails.json");
    writeFileSync(
      file,
      JSON.stringify({
        name: "Fails",
        nodes: [
          { id: "start", type: "trigger.manual", data: {} },
          { id: "call", type: "http.request", data: { config: { url: `${base}/broken` } } },
        ],
        edges: [{ id: "e1", source: "start", target: "call" }],
      }),
    );
    const { code, stdout } = await weft(["run", file, "--json"]);
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({
      status: "failed",
      steps: [
        { nodeId: "start", status: "succeeded" },
        { nodeId: "call", status: "failed", error: { code: "WEFT_E_HTTP_STATUS" } },
      ],
    });
  });

  it("exits 2 listing every problem of the workflow, the input and the credentials", async () => {
    const file = path.join(work, "invalid.json");
    writeFileSync(
      file,
      JSON.stringify({
        name: "Invalid",
        nodes: [
          { id: "start", type: "trigger.manual", data: {} },
          { id: "magic", type: "acme.magic", data: {} },
        ],
        edges: [
          { id: "e1", source: "start", target: "magic" },
          { id: "e2", source: "start", target: "ghost" },
        ],
      }),
    );
    const creds = path.join(work, "creds.json");
    writeFileSync(creds, JSON.stringify({ api: { type: "http.bearer", values: {} } }));
    const { code, stderr, stdout } = await weft(["run", file, "--input", "{oops", "--credentials", creds]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain("node magic");
    expect(stderr).toContain("WEFT_E_UNKNOWN_NODE_TYPE");
    expect(stderr).toContain("WEFT_E_DANGLING_EDGE");
    expect(stderr).toContain("--input: not valid JSON");
    expect(stderr).toContain("api.values.token");
  });

  it("exits 2 naming where a NUL character is in the input, and records no run", async () => {
    const runs = async () => {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        const found = await client.query("select count(*)::int as n from runs");
        return found.rows[0].n as number;
      } finally {
        await client.end();
      }
    };
    const before = await runs();
    const inline = await weft(["run", example, "--input", '{"url":"http://x","tags":["a","b\\u0000"]}', "--json"]);
    expect(inline.code).toBe(2);
    expect(inline.stdout).toBe("");
    expect(inline.stderr).toContain("--input › tags.1: contains a NUL character (\\u0000)");
    const file = path.join(work, "nul-input.json");
    writeFileSync(file, JSON.stringify({ "u\u0000rl": "http://x" }));
    const fromFile = await weft(["run", example, "--input", `@${file}`]);
    expect(fromFile.code).toBe(2);
    expect(fromFile.stderr).toContain("--input › u\\u0000rl: contains a NUL character");
    expect(await runs()).toBe(before);
  });
});

describe("weft validate and weft plugin", () => {
  it("validates the example", async () => {
    const { code, stdout } = await weft(["validate", example]);
    expect(code).toBe(0);
    expect(stdout).toContain("is valid (7 nodes, 6 edges)");
  });

  it("lists plugins and prints a node type's JSON Schema", async () => {
    const list = await weft(["plugin", "list"]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/@weft\/plugin-http@\d+\.\d+\.\d+/);
    expect(list.stdout).toContain("http.request@1");
    const schema = await weft(["plugin", "schema", "http.request"]);
    expect(schema.code).toBe(0);
    expect(JSON.parse(schema.stdout).properties.url).toBeDefined();
    expect((await weft(["plugin", "schema", "nope.none"])).code).toBe(2);
  });
});

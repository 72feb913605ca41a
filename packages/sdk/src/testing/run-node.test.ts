import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  defineCredential,
  defineNode,
  definePlugin,
  emit,
  formatManifest,
  NodeError,
  pluginManifest,
  suspend,
} from "../index.ts";
import { expectManifestFresh, runExamples, runNode } from "./index.ts";

const echo = defineNode({
  type: "demo.echo",
  version: 1,
  category: "action",
  title: "Echo",
  description: "Echoes its config",
  config: z.object({ text: z.string(), times: z.int().min(1).default(1) }),
  output: z.object({ text: z.string() }),
  examples: [
    { name: "twice", config: { text: "hi", times: 2 }, expect: { output: { text: "hihi" } } },
    {
      name: "templated",
      config: { text: "{{ $input.name }}" },
      input: { name: "web-01" },
      expect: { output: { text: "web-01" } },
    },
  ],
  strategy: {
    execute(ctx) {
      ctx.logger.info("echoing", { times: ctx.config.times });
      return { text: ctx.config.text.repeat(ctx.config.times) };
    },
  },
});

describe("runNode", () => {
  it("runs a node through the kernel with templates resolved and defaults applied", async () => {
    const result = await runNode(echo, { config: { text: "{{ $input.word }}" }, input: { word: "ok" } });
    expect(result.outcome).toEqual({ status: "succeeded", output: { text: "ok" }, port: "default" });
    expect(result.attempts).toBe(1);
    expect(result.logs).toEqual([expect.objectContaining({ level: "info", message: "echoing", fields: { times: 1 } })]);
  });

  it("reports a statically invalid config as the validator would, without running the node", async () => {
    const result = await runNode(echo, { config: { text: "x", times: 0 }, retry: { maxAttempts: 3 } });
    expect(result.attempts).toBe(0);
    expect(result.validation).toEqual([expect.objectContaining({ code: "WEFT_E_CONFIG_INVALID", nodeId: "node" })]);
    expect(result.outcome).toMatchObject({
      status: "failed",
      error: { code: "WEFT_E_CONFIG_INVALID", retryable: false, message: expect.stringContaining("times") },
    });
  });

  it("fails a config that is invalid once templates resolve with a non-retryable WEFT_E_CONFIG_INVALID", async () => {
    const result = await runNode(echo, {
      config: { text: "x", times: "{{ $input.n }}" },
      input: { n: -1 },
      retry: { maxAttempts: 3 },
    });
    expect(result.attempts).toBe(1);
    expect(result.outcome).toMatchObject({
      status: "failed",
      error: { code: "WEFT_E_CONFIG_INVALID", retryable: false, message: expect.stringContaining("times") },
    });
  });

  it("fails an output that breaks the output schema with WEFT_E_OUTPUT_INVALID", async () => {
    const liar = defineNode({
      type: "demo.liar",
      version: 1,
      category: "action",
      title: "Liar",
      description: "Returns the wrong shape",
      config: z.object({}),
      output: z.object({ count: z.int() }),
      strategy: { execute: () => ({ count: "many" }) as unknown as { count: number } },
    });
    const { outcome } = await runNode(liar, { config: {} });
    expect(outcome).toMatchObject({
      status: "failed",
      error: { code: "WEFT_E_OUTPUT_INVALID", message: expect.stringContaining("count") },
    });
  });

  it("retries retryable errors, runs finalize once per attempt, and reports the delays", async () => {
    const seen: string[] = [];
    const flaky = defineNode({
      type: "demo.flaky",
      version: 1,
      category: "action",
      title: "Flaky",
      description: "Fails twice, then succeeds",
      config: z.object({}),
      output: z.object({ attempt: z.int() }),
      strategy: {
        execute(ctx) {
          if (ctx.attempt < 3)
            throw new NodeError("WEFT_E_DEMO_BUSY", "busy", { retryable: true, retryAfterMs: 250 * ctx.attempt });
          return { attempt: ctx.attempt };
        },
        finalize(ctx, outcome) {
          seen.push(`${ctx.attempt}:${outcome.status}`);
        },
      },
    });
    const result = await runNode(flaky, { config: {}, retry: { maxAttempts: 5, delayMs: 10 } });
    expect(result.outcome).toMatchObject({ status: "succeeded", output: { attempt: 3 } });
    expect(result.attempts).toBe(3);
    expect(result.retryDelays).toEqual([250, 500]);
    expect(seen).toEqual(["1:failed", "2:failed", "3:succeeded"]);
  });

  it("starts at a later attempt when asked", async () => {
    const which = defineNode({
      type: "demo.which",
      version: 1,
      category: "action",
      title: "Which",
      description: "Outputs its attempt",
      config: z.object({}),
      output: z.object({ attempt: z.int() }),
      strategy: { execute: (ctx) => ({ attempt: ctx.attempt }) },
    });
    const { outcome } = await runNode(which, { config: {}, attempt: 3 });
    expect(outcome).toMatchObject({ status: "succeeded", output: { attempt: 3 } });
  });

  it("times an attempt out through ctx.signal, and finalize still runs", async () => {
    let finalized: string | undefined;
    const slow = defineNode({
      type: "demo.slow",
      version: 1,
      category: "action",
      title: "Slow",
      description: "Waits for its signal",
      config: z.object({}),
      output: z.object({}),
      strategy: {
        execute: (ctx) =>
          new Promise<Record<string, never>>((_resolve, reject) => {
            ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason), { once: true });
          }),
        finalize(_ctx, outcome) {
          finalized = outcome.status;
        },
      },
    });
    const { outcome } = await runNode(slow, { config: {}, timeoutMs: 20 });
    expect(outcome).toMatchObject({ status: "failed", error: { code: "WEFT_E_TIMEOUT" } });
    expect(finalized).toBe("failed");
  });

  it("hands the node its credential parsed by the credential type's schema", async () => {
    const api = defineCredential({
      type: "demo.api",
      title: "Demo API",
      schema: z.object({ token: z.string().min(3), baseUrl: z.url().default("https://api.demo") }),
      secret: ["token"],
    });
    const whoami = defineNode({
      type: "demo.whoami",
      version: 1,
      category: "integration",
      title: "Who am I",
      description: "Reads its credential",
      config: z.object({}),
      output: z.object({ baseUrl: z.string(), tokenLength: z.int() }),
      credentials: [api],
      strategy: {
        async execute(ctx) {
          const { values } = await ctx.credentials.get();
          return { baseUrl: String(values.baseUrl), tokenLength: String(values.token).length };
        },
      },
    });
    const ok = await runNode(whoami, { config: {}, credentials: { type: "demo.api", values: { token: "s3cret" } } });
    expect(ok.outcome).toMatchObject({ status: "succeeded", output: { baseUrl: "https://api.demo", tokenLength: 6 } });

    const bad = await runNode(whoami, { config: {}, credentials: { type: "demo.api", values: { token: "no" } } });
    expect(bad.outcome).toMatchObject({ status: "failed", error: { code: "WEFT_E_CREDENTIAL_INVALID" } });
    expect(JSON.stringify(bad.outcome)).not.toContain('"no"');

    const wrong = await runNode(whoami, { config: {}, credentials: { type: "slack", values: {} } });
    expect(wrong.outcome).toMatchObject({ status: "failed", error: { code: "WEFT_E_CREDENTIAL_TYPE" } });
  });

  it("leaves on the port emit() names, and sees upstream outputs", async () => {
    const gate = defineNode({
      type: "demo.gate",
      version: 1,
      category: "condition",
      title: "Gate",
      description: "Open when the scan found something",
      config: z.object({}),
      output: z.object({ found: z.int() }),
      ports: ["open", "closed"],
      strategy: {
        execute(ctx) {
          const found = (ctx.inputs.scan as { findings: unknown[] }).findings.length;
          return emit(found > 0 ? "open" : "closed", { found });
        },
      },
    });
    const { outcome } = await runNode(gate, { config: {}, inputs: { scan: { findings: [1, 2] } } });
    expect(outcome).toEqual({ status: "succeeded", output: { found: 2 }, port: "open" });
  });

  it("suspends, and resumes with the given payload", async () => {
    const ask = defineNode({
      type: "demo.ask",
      version: 1,
      category: "approval",
      title: "Ask",
      description: "Waits for an answer",
      config: z.object({}),
      output: z.object({ answer: z.string() }),
      strategy: {
        execute(ctx) {
          if (ctx.resume === undefined) return suspend({ kind: "approval", data: { question: "ok?" } });
          return { answer: String((ctx.resume as { answer: string }).answer) };
        },
      },
    });
    const waiting = await runNode(ask, { config: {} });
    expect(waiting.outcome).toEqual({ status: "suspended", wait: { kind: "approval", data: { question: "ok?" } } });
    const resumed = await runNode(ask, { config: {}, resume: { answer: "yes" } });
    expect(resumed.outcome).toMatchObject({ status: "succeeded", output: { answer: "yes" } });
  });
});

describe("runExamples", () => {
  it("runs every documented example", async () => {
    const results = await runExamples(echo);
    expect(results.map((r) => r.name)).toEqual(["twice", "templated"]);
  });

  it("fails with WEFT_E_EXAMPLE_FAILED naming the example that does not hold", async () => {
    const wrong = defineNode({
      ...echo,
      type: "demo.wrong",
      examples: [{ name: "claims too much", config: { text: "a" }, expect: { output: { text: "b" } } }],
      strategy: { execute: (ctx) => ({ text: ctx.config.text }) },
    });
    await expect(runExamples(wrong)).rejects.toThrow(
      /"claims too much" output \{"text":"a"\}, expected \{"text":"b"\}/,
    );
  });
});

describe("expectManifestFresh", () => {
  const plugin = definePlugin({ name: "@acme/plugin-echo", version: "1.0.0", nodes: [echo] });
  const dir = mkdtempSync(path.join(tmpdir(), "weft-manifest-"));

  it("passes for a manifest generated from the code, whatever its formatting", () => {
    const file = path.join(dir, "fresh.json");
    writeFileSync(file, JSON.stringify(pluginManifest(plugin)));
    expect(() => expectManifestFresh(plugin, file)).not.toThrow();
  });

  it("fails with the first difference and the command that fixes it", () => {
    const file = path.join(dir, "stale.json");
    const stale = pluginManifest(plugin);
    stale.nodes[0]!.title = "Old title";
    writeFileSync(file, formatManifest(stale));
    expect(() => expectManifestFresh(plugin, file)).toThrow(
      /stale — \/nodes\/0\/title: committed "Old title", code says "Echo". Run `pnpm --filter @acme\/plugin-echo manifest`/,
    );
  });
});

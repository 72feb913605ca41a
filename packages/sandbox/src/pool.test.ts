import type { Json } from "@weft/kernel";
import { afterAll, describe, expect, it } from "vitest";
import { SANDBOX_POOL, SandboxError, SandboxPool } from "./index.ts";

const pool = new SandboxPool({ size: 2, defaultLimits: { memoryMb: 16, timeoutMs: 2_000 } });
afterAll(() => pool.dispose());

describe("SandboxPool.run", () => {
  it("runs code as an async function body over copied-in globals", async () => {
    const input = { items: Array.from({ length: 100 }, (_, i) => ({ id: i, severity: i % 5 })) };
    const result = await pool.run(
      "return input.items.filter((x) => x.severity >= 3).length + attempt + nodes.scan.count",
      {
        globals: { input, nodes: { scan: { count: 1000 } }, attempt: 1 },
      },
    );
    expect(result.value).toBe(40 + 1 + 1000);
    expect(result.cpuTimeMs).toBeGreaterThanOrEqual(0);
    expect(result.wallTimeMs).toBeGreaterThan(0);
  });

  it("gives the script copies: changes stay inside the sandbox", async () => {
    const input = { list: [1, 2] };
    await pool.run("input.list.push(3); input.added = true; return null", { globals: { input } });
    expect(input).toEqual({ list: [1, 2] });
  });

  it("returns null when the script returns nothing, and JSON values as they are", async () => {
    expect((await pool.run("const x = 1;")).value).toBeNull();
    expect((await pool.run("return { a: [1, 'two', true, null], d: new Date(0) }")).value).toEqual({
      a: [1, "two", true, null],
      d: "1970-01-01T00:00:00.000Z",
    });
  });

  it("captures console calls with levels, in order", async () => {
    const result = await pool.run(
      "console.log('a', 1, { b: 2 }); console.debug('d'); console.warn('w'); console.error(new Error('e')); const c = {}; c.c = c; console.info(c); return 1",
    );
    expect(result.logs.map((entry) => [entry.level, entry.message.split("\n")[0]])).toEqual([
      ["info", 'a 1 {"b":2}'],
      ["debug", "d"],
      ["warn", "w"],
      ["error", "Error: e"],
      ["info", '{"c":"[Circular]"}'],
    ]);
    expect(Date.parse(result.logs[0]?.at ?? "")).not.toBeNaN();
  });

  it("keeps the logs written before a failure on the error", async () => {
    const error = await pool.run("console.log('before'); throw new Error('after')").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SandboxError);
    expect((error as SandboxError).logs.map((entry) => entry.message)).toEqual(["before"]);
  });

  it("supports await with setTimeout and clearTimeout", async () => {
    const result = await pool.run(
      "const order = [];\nconst t = setTimeout(() => order.push('cleared'), 5);\nclearTimeout(t);\nawait new Promise((r) => setTimeout(() => { order.push('fired'); r(); }, 10));\nreturn order;",
    );
    expect(result.value).toEqual(["fired"]);
  });

  it("calls host functions with JSON copies and passes their errors as messages", async () => {
    const seen: unknown[] = [];
    const hostFunctions = {
      lookup: async (ip: Json) => {
        seen.push(ip);
        return { ip, owner: "soc" };
      },
      broken: () => {
        throw new Error("backend down");
      },
    };
    const result = await pool.run(
      "const a = await lookup('10.0.0.1');\nlet message;\ntry { await broken(); } catch (e) { message = e.message; }\nreturn { a, message };",
      { hostFunctions },
    );
    expect(seen).toEqual(["10.0.0.1"]);
    expect(result.value).toEqual({ a: { ip: "10.0.0.1", owner: "soc" }, message: "broken: backend down" });
  });

  it("reports the script's error with retryable true and the script's stack lines only", async () => {
    const error = (await pool
      .run("const x = 1;\nfunction check(v) {\n  throw new TypeError('bad value ' + v);\n}\ncheck(x);")
      .catch((e: unknown) => e)) as SandboxError;
    expect(error.code).toBe("WEFT_E_SCRIPT_ERROR");
    expect(error.retryable).toBe(true);
    expect(error.message).toBe("TypeError: bad value 1");
    expect(error.details).toMatchObject({ name: "TypeError", stack: ["at check (script.js:3:9)", "at script.js:5:1"] });
    expect(error.toJSON()).toMatchObject({ code: "WEFT_E_SCRIPT_ERROR", retryable: true });
  });

  it("reports syntax errors at the script's line, not retryable", async () => {
    const error = (await pool.run("const a = 1;\nreturn (;").catch((e: unknown) => e)) as SandboxError;
    expect(error.code).toBe("WEFT_E_SCRIPT_SYNTAX");
    expect(error.retryable).toBe(false);
    expect(error.message).toContain("script.js:2:");
  });

  it("rejects reserved, invalid and uncopyable globals", async () => {
    await expect(pool.run("return 1", { globals: { console: 1 } })).rejects.toMatchObject({
      code: "WEFT_E_SANDBOX_INPUT",
    });
    await expect(pool.run("return 1", { globals: { "not-an-identifier": 1 } })).rejects.toMatchObject({
      code: "WEFT_E_SANDBOX_INPUT",
    });
    await expect(pool.run("return 1", { globals: { input: () => 1 } })).rejects.toMatchObject({
      code: "WEFT_E_SANDBOX_INPUT",
    });
  });

  it("rejects limits that are not numbers", async () => {
    await expect(pool.run("return 1", { limits: { timeoutMs: Number.NaN } })).rejects.toMatchObject({
      code: "WEFT_E_SANDBOX_LIMIT_INVALID",
    });
    expect(() => new SandboxPool({ size: 0 })).toThrow(SandboxError);
  });
});

describe("limits and the pool", () => {
  it("clamps requested limits to the operator maxima", async () => {
    const bounded = new SandboxPool({ size: 1, maxLimits: { timeoutMs: 100, memoryMb: 16 } });
    try {
      expect(bounded.defaultLimits.timeoutMs).toBe(100);
      const error = (await bounded
        .run("await new Promise(() => {})", { limits: { timeoutMs: 60_000 } })
        .catch((e: unknown) => e)) as SandboxError;
      expect(error.code).toBe("WEFT_E_SANDBOX_TIMEOUT");
      expect(error.details).toMatchObject({ timeoutMs: 100 });
    } finally {
      bounded.dispose();
    }
  });

  it("keeps the host's event loop free while a script computes", async () => {
    let ticks = 0;
    const interval = setInterval(() => ticks++, 5);
    try {
      await pool.run("const end = Date.now() + 200; while (Date.now() < end) {} return 1");
    } finally {
      clearInterval(interval);
    }
    expect(ticks).toBeGreaterThan(0);
  });

  it("queues runs beyond its size and runs them all", async () => {
    const small = new SandboxPool({ size: 1, defaultLimits: { memoryMb: 16 } });
    try {
      const results = await Promise.all(
        Array.from({ length: 5 }, (_, i) => small.run("return n * 2", { globals: { n: i } })),
      );
      expect(results.map((r) => r.value)).toEqual([0, 2, 4, 6, 8]);
      expect(small.stats()).toMatchObject({ size: 1, runs: 5, isolatesCreated: 1 });
    } finally {
      small.dispose();
    }
  });

  it("cancels a waiting run and a running run through the signal", async () => {
    const small = new SandboxPool({ size: 1, defaultLimits: { memoryMb: 16, timeoutMs: 5_000 } });
    try {
      const running = new AbortController();
      const waiting = new AbortController();
      const first = small.run("for (;;) {}", { signal: running.signal });
      const second = small.run("return 1", { signal: waiting.signal });
      waiting.abort();
      await expect(second).rejects.toMatchObject({ code: "WEFT_E_SANDBOX_CANCELLED" });
      running.abort();
      await expect(first).rejects.toMatchObject({ code: "WEFT_E_SANDBOX_CANCELLED", retryable: false });
      await expect(small.run("return 'next'")).resolves.toMatchObject({ value: "next" });
    } finally {
      small.dispose();
    }
  });

  it("replaces an isolate after maxRunsPerIsolate runs", async () => {
    const small = new SandboxPool({ size: 1, maxRunsPerIsolate: 2, defaultLimits: { memoryMb: 16 } });
    try {
      for (let i = 0; i < 5; i++) await small.run("return 1");
      expect(small.stats().isolatesCreated).toBe(3);
    } finally {
      small.dispose();
    }
  });

  it("runs scripts with different memory limits in one pool", async () => {
    const small = new SandboxPool({ size: 1, defaultLimits: { memoryMb: 16 } });
    try {
      await expect(small.run("return 1", { limits: { memoryMb: 32 } })).resolves.toMatchObject({ value: 1 });
      await expect(small.run("return 2")).resolves.toMatchObject({ value: 2 });
    } finally {
      small.dispose();
    }
  });

  it("fails runs with WEFT_E_SANDBOX_CANCELLED once disposed", async () => {
    const small = new SandboxPool({ size: 1 });
    small.dispose();
    await expect(small.run("return 1")).rejects.toMatchObject({ code: "WEFT_E_SANDBOX_CANCELLED" });
  });

  it("exports a service token", () => {
    expect(typeof SANDBOX_POOL).toBe("string");
  });
});

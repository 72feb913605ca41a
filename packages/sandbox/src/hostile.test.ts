// Hostile scripts: each must end in a clear error on its own run, and the next run in the same pool
// must work. Small limits keep each case fast.
import { afterAll, describe, expect, it } from "vitest";
import { SandboxError, SandboxPool } from "./index.ts";

const pool = new SandboxPool({ size: 1, defaultLimits: { memoryMb: 16, timeoutMs: 1_500, cpuTimeMs: 1_000 } });
afterAll(() => pool.dispose());

async function failure(code: string, options: Parameters<SandboxPool["run"]>[1] = {}): Promise<SandboxError> {
  const error = await pool.run(code, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SandboxError);
  // The pool is still usable afterwards, on the same single isolate slot.
  await expect(pool.run("return input + 1", { globals: { input: 41 } })).resolves.toMatchObject({ value: 42 });
  return error as SandboxError;
}

describe("hostile scripts", () => {
  it("stops an infinite loop", async () => {
    const error = await failure("for (;;) {}", { limits: { cpuTimeMs: 200 } });
    expect(["WEFT_E_SANDBOX_CPU", "WEFT_E_SANDBOX_TIMEOUT"]).toContain(error.code);
    expect(error.retryable).toBe(false);
  });

  it("stops a script that awaits forever at the wall-time limit", async () => {
    const error = await failure("await new Promise(() => {})", { limits: { timeoutMs: 100 } });
    expect(error.code).toBe("WEFT_E_SANDBOX_TIMEOUT");
    expect(error.message).toContain("100 ms");
  });

  it("reports deep recursion as the script's own error", async () => {
    const error = await failure("function down(n) { return down(n + 1) + 1 }\nreturn down(0)");
    expect(error.code).toBe("WEFT_E_SCRIPT_ERROR");
    expect(error.message).toBe("RangeError: Maximum call stack size exceeded");
  });

  it("stops an allocation bomb at the memory limit", async () => {
    const error = await failure("const all = [];\nfor (;;) all.push(new Array(100000).fill(1.5));");
    expect(error.code).toBe("WEFT_E_SANDBOX_MEMORY");
    expect(error.retryable).toBe(false);
  });

  it("refuses large buffers as a memory error", async () => {
    const error = await failure("const all = [];\nfor (;;) all.push(new Uint8Array(1024 * 1024));");
    expect(error.code).toBe("WEFT_E_SANDBOX_MEMORY");
  });

  it("fails a string that grows without bound", async () => {
    const error = await failure("let s = 'x';\nfor (;;) s += s;");
    expect(["WEFT_E_SCRIPT_ERROR", "WEFT_E_SANDBOX_MEMORY"]).toContain(error.code);
  });

  it("rejects a huge string result at the output limit", async () => {
    const error = await failure("return 'x'.repeat(2 * 1024 * 1024)", { limits: { maxOutputBytes: 1024 * 1024 } });
    expect(error.code).toBe("WEFT_E_SANDBOX_OUTPUT");
  });

  it("cannot pollute the host's prototypes, nor the next run's", async () => {
    await pool.run(
      "Object.prototype.polluted = 'yes'; Array.prototype.map = null; JSON.stringify = () => 'x'; return 1",
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const next = await pool.run("return [({}).polluted ?? null, typeof [].map]");
    expect(next.value).toEqual([null, "function"]);
  });

  it("cannot reach process through the Function constructor", async () => {
    const error = await failure("return this.constructor.constructor('return process')()");
    expect(error.code).toBe("WEFT_E_SCRIPT_ERROR");
    expect(error.message).toBe("ReferenceError: process is not defined");
  });

  it("sees nothing of the host's globals", async () => {
    const result = await pool.run(
      "return ['process', 'require', 'module', 'Buffer', 'fetch', 'setInterval', 'Atomics', 'SharedArrayBuffer', 'WebAssembly'].map((n) => typeof globalThis[n])",
    );
    expect(new Set(result.value as string[])).toEqual(new Set(["undefined"]));
    await expect(pool.run("return require('node:fs')")).rejects.toMatchObject({
      message: "ReferenceError: require is not defined",
    });
    await expect(pool.run("return import('node:fs')")).rejects.toBeInstanceOf(SandboxError);
  });

  it("cannot close the wrapper function early", async () => {
    const error = await failure("}); globalThis.leak = 1; (async function () {");
    expect(error.code).toBe("WEFT_E_SCRIPT_SYNTAX");
  });

  it("reports non-Error throws with their value as the message", async () => {
    expect((await failure("throw 'plain string'")).message).toBe("plain string");
    expect((await failure("throw { code: 42 }")).message).toBe('{"code":42}');
    expect((await failure("throw null")).message).toBe("null");
    expect((await failure("throw Symbol('s')")).message).toBe("Symbol(s)");
    const proxy = await failure("throw new Proxy({}, { get() { throw 1 }, getPrototypeOf() { throw 2 } })");
    expect(proxy.code).toBe("WEFT_E_SCRIPT_ERROR");
  });

  it("rejects returned functions, cycles and BigInts", async () => {
    expect((await failure("return () => 1")).code).toBe("WEFT_E_SANDBOX_OUTPUT");
    expect((await failure("return { nested: { fn() {} } }")).message).toContain('function (at key "fn")');
    expect((await failure("const a = {}; a.self = a; return a")).message).toContain("circular");
    expect((await failure("return 10n")).code).toBe("WEFT_E_SANDBOX_OUTPUT");
  });

  it("truncates a console flood with a marker entry", async () => {
    const result = await pool.run("for (let i = 0; i < 200000; i++) console.log('line', i); return 'done'", {
      limits: { maxLogEntries: 50 },
    });
    expect(result.value).toBe("done");
    expect(result.logs).toHaveLength(51);
    const marker = result.logs[50];
    expect(marker?.level).toBe("warn");
    expect(marker?.message).toContain("199950 further entries dropped");
  });

  it("bounds the bytes of console output", async () => {
    const result = await pool.run("for (let i = 0; i < 100; i++) console.log('y'.repeat(10000)); return 1", {
      limits: { maxLogBytes: 25_000 },
    });
    const kept = result.logs.filter((entry) => entry.level === "info");
    expect(kept.reduce((sum, entry) => sum + entry.message.length, 0)).toBeLessThanOrEqual(25_000);
    expect(result.logs.at(-1)?.message).toContain("truncated");
  });

  it("bounds timers", async () => {
    const error = await failure("for (let i = 0; i < 5000; i++) setTimeout(() => {}, 100000);");
    expect(error.message).toContain("at most 1000 timers");
  });

  it("keeps one tenant's globals from the next run", async () => {
    await pool.run("globalThis.secret = input; return 1", { globals: { input: "tenant-a" } });
    const next = await pool.run("return typeof secret");
    expect(next.value).toBe("undefined");
  });
});

import { SANDBOX_POOL, SandboxPool } from "@weft/sandbox";
import { expectManifestFresh, runExamples, runNode } from "@weft/sdk/testing";
import { afterAll, describe, expect, it } from "vitest";
import plugin, { run } from "./index.ts";

const pool = new SandboxPool({
  size: 1,
  defaultLimits: { memoryMb: 16, timeoutMs: 2_000 },
  maxLimits: { timeoutMs: 5_000 },
});
const services = { [SANDBOX_POOL]: pool };
afterAll(() => pool.dispose());

describe("script.run", () => {
  it("returns the script's value as output, seeing input, nodes and attempt", async () => {
    const { outcome } = await runNode(run, {
      config: { code: "return { count: input.items.length, upstream: nodes.scan.total, attempt };" },
      input: { items: [1, 2, 3] },
      inputs: { scan: { total: 7 } },
      services,
    });
    expect(outcome).toEqual({ status: "succeeded", output: { count: 3, upstream: 7, attempt: 1 }, port: "default" });
  });

  it("keeps the script's console output on the step", async () => {
    const { logs } = await runNode(run, {
      config: { code: "console.log('checked', input); console.warn('careful'); return 1;" },
      input: 5,
      services,
    });
    expect(logs.map((entry) => [entry.level, entry.message])).toEqual(
      expect.arrayContaining([
        ["info", "checked 5"],
        ["warn", "careful"],
      ]),
    );
  });

  it("fails the attempt retryably when the script throws, and retries it", async () => {
    const { outcome, attempts } = await runNode(run, {
      config: { code: "if (attempt < 2) throw new Error('flaky upstream'); return attempt;" },
      retry: { maxAttempts: 2, backoff: "fixed", delayMs: 1 },
      services,
    });
    expect(attempts).toBe(2);
    expect(outcome).toMatchObject({ status: "succeeded", output: 2 });
  });

  it("fails for good when the script hits a sandbox limit", async () => {
    const { outcome, attempts } = await runNode(run, {
      config: { code: "await new Promise(() => {});", timeoutMs: 50 },
      retry: { maxAttempts: 3, backoff: "fixed", delayMs: 1 },
      services,
    });
    expect(attempts).toBe(1);
    expect(outcome).toMatchObject({ status: "failed", error: { code: "WEFT_E_SANDBOX_TIMEOUT", retryable: false } });
  });

  it("keeps console lines written before the node's timeout", async () => {
    const { outcome, logs } = await runNode(run, {
      config: { code: "console.log('scanned 3 hosts'); await new Promise(() => {});" },
      timeoutMs: 500,
      services,
    });
    expect(outcome).toMatchObject({ status: "failed", error: { code: "WEFT_E_TIMEOUT" } });
    expect(logs.map((entry) => entry.message)).toContain("scanned 3 hosts");
  });

  it("keeps console lines written before the run was cancelled", async () => {
    const controller = new AbortController();
    const { outcome, logs } = await runNode(run, {
      config: { code: "console.warn('about to wait'); await new Promise(() => {});" },
      signal: controller.signal,
      services: {
        [SANDBOX_POOL]: {
          // Cancels the run once the script is running in the real pool.
          run: (code: string, options: Parameters<SandboxPool["run"]>[1]) => {
            setTimeout(() => controller.abort(), 500);
            return pool.run(code, options);
          },
        },
      },
    });
    expect(outcome).toEqual({ status: "cancelled" });
    expect(logs).toEqual([expect.objectContaining({ level: "warn", message: "about to wait" })]);
  });

  it("rejects a config without code", async () => {
    const { outcome } = await runNode(run, { config: { code: "" }, services });
    expect(outcome).toMatchObject({ status: "failed", error: { code: "WEFT_E_CONFIG_INVALID" } });
  });

  it("runs its documented examples with its own pool when the runtime registers none", async () => {
    const results = await runExamples(run);
    expect(results.map((r) => r.outcome)).toEqual([{ status: "succeeded", output: 2, port: "default" }]);
  });

  it("has a fresh weft.manifest.json", () => {
    expectManifestFresh(plugin, new URL("../weft.manifest.json", import.meta.url));
  });
});

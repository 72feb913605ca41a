import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { errorCodes, KERNEL_ERRORS, WeftError } from "./errors.ts";

describe("the error registry", () => {
  it("documents every code in docs/errors.md under @weft/kernel", () => {
    const doc = readFileSync(new URL("../../../docs/errors.md", import.meta.url), "utf8");
    const section = doc.split(/^## /m).find((s) => s.startsWith("@weft/kernel")) ?? "";
    const missing = errorCodes.filter((code) => !section.includes(`\`${code}\``));
    expect(missing).toEqual([]);
  });

  it("gives every code an HTTP status and a message", () => {
    for (const code of errorCodes) {
      expect(KERNEL_ERRORS[code].status).toBeGreaterThanOrEqual(400);
      expect(KERNEL_ERRORS[code].message.length).toBeGreaterThan(0);
    }
  });
});

describe("WeftError", () => {
  it("takes retryable and message defaults from the registry", () => {
    const error = new WeftError("WEFT_E_TIMEOUT");
    expect(error).toMatchObject({ retryable: true, message: KERNEL_ERRORS.WEFT_E_TIMEOUT.message });
    expect(new WeftError("PLUGIN_E_X", "x").retryable).toBe(false);
  });

  it("wraps foreign errors keeping the cause, and non-errors as WEFT_E_NODE_THREW", () => {
    const cause = new TypeError("fetch failed");
    const wrapped = WeftError.from(cause, { nodeId: "n", runId: "r", plugin: "@weft/plugin-http" });
    expect(wrapped).toMatchObject({
      code: "WEFT_E_NODE_FAILED",
      message: "fetch failed",
      nodeId: "n",
      retryable: false,
    });
    expect(wrapped.cause).toBe(cause);
    expect(WeftError.from("oops").code).toBe("WEFT_E_NODE_THREW");
    const own = new WeftError("X", "x");
    expect(WeftError.from(own, { nodeId: "n" })).toBe(own);
    expect(own.nodeId).toBe("n");
  });

  it("round-trips through its JSON form, cause included", () => {
    const error = new WeftError("WEFT_E_NODE_FAILED", "outer", {
      details: { status: 502 },
      retryAfterMs: 10,
      cause: new WeftError("INNER", "inner", { retryable: true }),
    });
    const info = JSON.parse(JSON.stringify(error));
    expect(info).toEqual(error.toJSON());
    expect(WeftError.fromInfo(info).toJSON()).toEqual(info);
    expect(info.cause).toMatchObject({ code: "INNER", retryable: true });
  });
});

import { expect, it } from "vitest";
import { intSetting } from "./env.ts";
import { queueSettingsFromEnv } from "./queue.ts";

it("reads integer settings, falls back when unset or blank, and names the variable when one is wrong", () => {
  expect(intSetting({ PORT: "8080" }, "PORT", 3000)).toBe(8080);
  expect(intSetting({}, "PORT", 3000)).toBe(3000);
  expect(intSetting({ PORT: " " }, "PORT", 3000)).toBe(3000);
  expect(() => intSetting({ PORT: "80a" }, "PORT", 3000)).toThrow(
    expect.objectContaining({ code: "WEFT_E_RUNTIME_CONFIG", details: { variable: "PORT", value: "80a" } }),
  );
  expect(() => intSetting({ WEFT_WORKER_CONCURRENCY: "0" }, "WEFT_WORKER_CONCURRENCY", 10, 1)).toThrow(/>= 1/);
});

it("refuses a queue setting that is not an integer with the same typed error", () => {
  expect(() => queueSettingsFromEnv({ WEFT_LOCK_DURATION_MS: "30s" })).toThrow(
    expect.objectContaining({
      code: "WEFT_E_RUNTIME_CONFIG",
      details: expect.objectContaining({ variable: "WEFT_LOCK_DURATION_MS" }),
    }),
  );
});

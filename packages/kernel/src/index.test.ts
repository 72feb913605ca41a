import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { VERSION } from "./index.ts";

it("reports the version of its package.json", () => {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  expect(VERSION).toBe(pkg.version);
  expect(VERSION).toMatch(/^\d+\.\d+\.\d+/);
});

import { expectManifestFresh, runExamples } from "@weft/sdk/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeTenable } from "../test/fake-tenable.ts";
import plugin from "./index.ts";

let fake: FakeTenable;
beforeEach(async () => {
  fake = new FakeTenable();
  await fake.start();
});
afterEach(() => fake.close());

describe("@weft/plugin-tenable", () => {
  it("has a committed manifest matching its code", () => {
    expectManifestFresh(plugin, new URL("../weft.manifest.json", import.meta.url));
  });

  it.each(plugin.nodes.map((node) => [node.type, node] as const))(
    "documents examples that run: %s",
    async (_type, node) => {
      expect(node.examples.length).toBeGreaterThan(0);
      await runExamples(node, (example) => ({
        credentials: { type: "tenable", values: { ...example.credentials?.values, baseUrl: fake.url } },
      }));
    },
  );

  it("its fake parses X-ApiKeys leniently, as Tenable does", async () => {
    const response = await fetch(`${fake.url}/scans/42/latest-status`, {
      headers: { "x-apikeys": " accessKey = ak-test ; secretKey=sk-test; " },
    });
    expect(response.status).toBe(200);
    const refused = await fetch(`${fake.url}/scans/42/latest-status`, {
      headers: { "x-apikeys": "accessKey=ak-test" },
    });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({ statusCode: 401, error: "Unauthorized", message: "Invalid Credentials" });
  });
});

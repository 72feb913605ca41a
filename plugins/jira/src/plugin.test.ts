import { expectManifestFresh, runExamples } from "@weft/sdk/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeJira } from "../test/fake-jira.ts";
import plugin from "./index.ts";

let fake: FakeJira;
beforeEach(async () => {
  fake = new FakeJira();
  await fake.start();
  fake.seedIssue("an existing ticket"); // SEC-1, used by the transition and comment examples
});
afterEach(() => fake.close());

describe("@weft/plugin-jira", () => {
  it("has a committed manifest matching its code", () => {
    expectManifestFresh(plugin, new URL("../weft.manifest.json", import.meta.url));
  });

  it.each(plugin.nodes.map((node) => [node.type, node] as const))(
    "documents examples that run: %s",
    async (_type, node) => {
      expect(node.examples.length).toBeGreaterThan(0);
      await runExamples(node, (example) => ({
        credentials: { type: "jira", values: { ...example.credentials?.values, baseUrl: fake.url } },
      }));
    },
  );
});

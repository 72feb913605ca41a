import { expectManifestFresh, runExamples } from "@weft/sdk/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeSlack } from "../test/fake-slack.ts";
import plugin from "./index.ts";

let fake: FakeSlack;
beforeEach(async () => {
  fake = new FakeSlack();
  await fake.start();
});
afterEach(() => fake.close());

describe("@weft/plugin-slack", () => {
  it("has a committed manifest matching its code", () => {
    expectManifestFresh(plugin, new URL("../weft.manifest.json", import.meta.url));
  });

  it.each(plugin.nodes.map((node) => [node.type, node] as const))(
    "documents examples that run: %s",
    async (_type, node) => {
      expect(node.examples.length).toBeGreaterThan(0);
      await runExamples(node, (example) => ({
        credentials:
          example.credentials?.type === "slackWebhook"
            ? {
                type: "slackWebhook",
                values: { url: fake.webhookUrl(new URL(String(example.credentials.values["url"])).pathname) },
              }
            : { type: "slack", values: { ...example.credentials?.values, baseUrl: fake.apiUrl } },
      }));
    },
  );
});

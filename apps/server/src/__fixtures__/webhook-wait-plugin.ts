// A test-only plugin: `test.awaitWebhook` suspends until it is resumed through the API (a wait of kind
// `webhook`), then outputs the payload it was resumed with.
import { defineNode, definePlugin, suspend } from "@weft/sdk";
import { z } from "zod";

export const awaitWebhook = defineNode({
  type: "test.awaitWebhook",
  version: 1,
  category: "control",
  title: "Wait for a webhook call",
  description: "Suspends until resumed; outputs the resume payload.",
  icon: "webhook",
  config: z.object({}),
  output: z.object({ received: z.json() }),
  strategy: {
    execute(ctx) {
      if (ctx.resume !== undefined) return { received: ctx.resume };
      return suspend({ kind: "webhook", data: { path: ctx.nodeId } });
    },
  },
});

export default definePlugin({
  name: "@weft-test/plugin-webhook-wait",
  version: "1.0.0",
  nodes: [awaitWebhook],
  credentials: [],
});

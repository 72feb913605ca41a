// slack.webhook: post through an incoming webhook. Slack answers plain text: `ok`, or an error code.
import { createHash } from "node:crypto";
import { defineNode, NodeError, sendRequest } from "@weft/sdk";
import { z } from "zod";
import { slackWebhookCredential, slackWebhookValues } from "./credential.ts";
import { SlackErrorCode, slackService, slackWebhookError } from "./errors.ts";
import { ratePerSecond } from "./post-message.ts";
import { channelLimit, rateLimiterFrom } from "./rate-limit.ts";

export const webhook = defineNode({
  type: "slack.webhook",
  version: 1,
  category: "notification",
  title: "Post to a Slack webhook",
  description: "Posts a message (text and/or Block Kit blocks) to the channel of a Slack incoming webhook.",
  icon: "slack",
  credentials: [slackWebhookCredential],
  config: z
    .object({
      text: z.string().max(40_000).optional().meta({ title: "Text", widget: "multiline", order: 1 }),
      blocks: z
        .array(z.record(z.string(), z.unknown()))
        .max(50)
        .optional()
        .meta({ title: "Blocks", description: "Block Kit blocks (JSON array).", widget: "code", order: 2 }),
      threadTs: z
        .string()
        .regex(/^\d+\.\d+$/)
        .optional()
        .meta({ title: "Reply in thread", order: 3 }),
      unfurlLinks: z.boolean().optional().meta({ title: "Unfurl links", order: 4 }),
      unfurlMedia: z.boolean().optional().meta({ title: "Unfurl media", order: 5 }),
      ratePerSecond,
    })
    .refine((c) => (c.text !== undefined && c.text !== "") || (c.blocks !== undefined && c.blocks.length > 0), {
      message: "text or blocks is required",
      path: ["text"],
    }),
  output: z.object({ ok: z.literal(true) }),
  examples: [
    {
      name: "notify through a webhook",
      config: { text: "Scan finished: 0 critical findings" },
      credentials: { type: "slackWebhook", values: { url: "https://hooks.slack.com/services/T000/B000/secret" } },
    },
  ],
  strategy: {
    async execute(ctx) {
      const cfg = ctx.config;
      const { url } = await slackWebhookValues(ctx.credentials);
      // The URL is a secret: the limiter key (possibly stored in Redis) carries only a hash of it.
      const hook = createHash("sha256").update(url).digest("hex").slice(0, 16);
      await rateLimiterFrom(ctx.services).acquire(channelLimit(`slack:webhook:${hook}`, cfg.ratePerSecond), ctx.signal);
      const body: Record<string, unknown> = {};
      if (cfg.text) body["text"] = cfg.text;
      if (cfg.blocks) body["blocks"] = cfg.blocks;
      if (cfg.threadTs) body["thread_ts"] = cfg.threadTs;
      if (cfg.unfurlLinks !== undefined) body["unfurl_links"] = cfg.unfurlLinks;
      if (cfg.unfurlMedia !== undefined) body["unfurl_media"] = cfg.unfurlMedia;
      const response = await sendRequest(ctx, {
        service: slackService,
        method: "POST",
        url,
        headers: { "content-type": "application/json; charset=utf-8", accept: "text/plain" },
        body,
        idempotent: false,
        mapError: slackWebhookError,
      });
      const text = (await response.text()).trim();
      if (text !== "ok") {
        throw new NodeError(SlackErrorCode.Webhook, `Slack webhook answered "${text.slice(0, 100)}" instead of ok`, {
          details: { status: response.status, error: text.slice(0, 100) },
        });
      }
      return { ok: true as const };
    },
  },
});

// slack.postMessage: chat.postMessage with text and/or Block Kit blocks, threads and unfurl options,
// paced per channel across workers.
import { defineNode, NodeError, readJsonBody, sendRequest } from "@weft/sdk";
import { z } from "zod";
import { slackCredential, slackValues } from "./credential.ts";
import { SlackErrorCode, slackApiError, slackHttpError, slackService } from "./errors.ts";
import { channelLimit, rateLimiterFrom } from "./rate-limit.ts";

export const ratePerSecond = z.number().min(0.01).max(100).default(1).meta({
  title: "Messages per second",
  description: "Most messages per second to this channel, across all workers (Slack allows about 1).",
  order: 20,
});

const config = z
  .object({
    channel: z.string().min(1).meta({
      title: "Channel",
      description: "Channel id (C0123…) or name (#sec-alerts). The bot must be a member.",
      order: 1,
    }),
    text: z.string().max(40_000).optional().meta({
      title: "Text",
      description: "Message text (mrkdwn). With blocks, the notification fallback.",
      widget: "multiline",
      order: 2,
    }),
    blocks: z
      .array(z.record(z.string(), z.unknown()))
      .max(50)
      .optional()
      .meta({ title: "Blocks", description: "Block Kit blocks (JSON array).", widget: "code", order: 3 }),
    threadTs: z
      .string()
      .regex(/^\d+\.\d+$/, "a message ts looks like 1700000000.000100")
      .optional()
      .meta({ title: "Reply in thread", description: "The ts of the parent message.", order: 4 }),
    replyBroadcast: z.boolean().default(false).meta({ title: "Also send to channel", order: 5 }),
    unfurlLinks: z.boolean().optional().meta({ title: "Unfurl links", order: 6 }),
    unfurlMedia: z.boolean().optional().meta({ title: "Unfurl media", order: 7 }),
    ratePerSecond,
  })
  .refine((c) => (c.text !== undefined && c.text !== "") || (c.blocks !== undefined && c.blocks.length > 0), {
    message: "text or blocks is required",
    path: ["text"],
  });

export const postMessage = defineNode({
  type: "slack.postMessage",
  version: 1,
  category: "notification",
  title: "Post a Slack message",
  description:
    "Posts a message (text and/or Block Kit blocks, optionally in a thread) with the Slack Web API. Outputs the channel id and the message ts for threading later messages.",
  icon: "slack",
  credentials: [slackCredential],
  config,
  output: z.object({ channel: z.string(), ts: z.string() }),
  examples: [
    {
      name: "post an alert",
      config: { channel: "#sec-alerts", text: "*3 critical* findings need triage" },
      credentials: { type: "slack", values: { token: "xoxb-test" } },
    },
    {
      name: "post Block Kit",
      config: {
        channel: "C0SEC",
        text: "Triage summary",
        blocks: [{ type: "section", text: { type: "mrkdwn", text: "*Triage*: 2 tickets opened" } }],
        unfurlLinks: false,
      },
      credentials: { type: "slack", values: { token: "xoxb-test" } },
    },
  ],
  strategy: {
    async execute(ctx) {
      const cfg = ctx.config;
      const { token, baseUrl } = await slackValues(ctx.credentials);
      const limiter = rateLimiterFrom(ctx.services);
      await limiter.acquire(
        channelLimit(`slack:chat.postMessage:${cfg.channel.replace(/^#/, "")}`, cfg.ratePerSecond),
        ctx.signal,
      );
      const body: Record<string, unknown> = { channel: cfg.channel };
      if (cfg.text) body["text"] = cfg.text;
      if (cfg.blocks) body["blocks"] = cfg.blocks;
      if (cfg.threadTs) {
        body["thread_ts"] = cfg.threadTs;
        body["reply_broadcast"] = cfg.replyBroadcast;
      }
      if (cfg.unfurlLinks !== undefined) body["unfurl_links"] = cfg.unfurlLinks;
      if (cfg.unfurlMedia !== undefined) body["unfurl_media"] = cfg.unfurlMedia;
      const url = `${baseUrl.replace(/\/+$/, "")}/chat.postMessage`;
      // Posting is not idempotent: only 429 (rejected before posting) is retried inside the attempt.
      const response = await sendRequest(ctx, {
        service: slackService,
        method: "POST",
        url,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json; charset=utf-8" },
        body,
        idempotent: false,
        mapError: slackHttpError,
      });
      const answer = await readJsonBody<{ ok?: boolean; channel?: string; ts?: string; error?: string }>(
        response,
        slackService,
        "chat.postMessage",
      );
      if (answer.ok !== true) throw slackApiError("chat.postMessage", answer);
      if (!answer.channel || !answer.ts) {
        throw new NodeError(SlackErrorCode.BadResponse, "Slack chat.postMessage answered ok without channel and ts");
      }
      return { channel: answer.channel, ts: answer.ts };
    },
  },
});

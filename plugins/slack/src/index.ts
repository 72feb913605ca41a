// @weft/plugin-slack: Slack Web API and incoming-webhook nodes.
import { definePlugin } from "@weft/sdk";
import pkg from "../package.json" with { type: "json" };
import { slackCredential, slackWebhookCredential } from "./credential.ts";
import { postMessage } from "./post-message.ts";
import { webhook } from "./webhook.ts";

export { SLACK_API_URL, slackCredential, slackWebhookCredential } from "./credential.ts";
export { SlackErrorCode } from "./errors.ts";
export { postMessage } from "./post-message.ts";
export type { RateLimit, RateLimiter } from "./rate-limit.ts";
export { ProcessRateLimiter, RATE_LIMITER } from "./rate-limit.ts";
export { webhook } from "./webhook.ts";

export default definePlugin({
  name: pkg.name,
  version: pkg.version,
  engine: pkg.weft.engine,
  description: pkg.description,
  nodes: [postMessage, webhook],
  credentials: [slackCredential, slackWebhookCredential],
});

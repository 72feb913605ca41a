import { defineCredential, NodeError } from "@weft/sdk";
import { z } from "zod";

/** The Slack Web API; Enterprise Grid proxies and test servers override it. */
export const SLACK_API_URL = "https://slack.com/api";

/** Credential type `slack`: a bot token (`xoxb-…`) sent as `Authorization: Bearer`. */
export const slackCredential = defineCredential({
  type: "slack",
  title: "Slack bot token",
  description: "A bot token (xoxb-…) of a Slack app with the chat:write scope, invited to the channels it posts to.",
  schema: z.object({
    token: z.string().min(1).meta({ title: "Bot token", order: 1 }),
    baseUrl: z.url().default(SLACK_API_URL).meta({ title: "Web API URL", order: 2 }),
  }),
  secret: ["token"],
});

/** Credential type `slackWebhook`: an incoming-webhook URL (the URL itself is the secret). */
export const slackWebhookCredential = defineCredential({
  type: "slackWebhook",
  title: "Slack incoming webhook",
  description: "An incoming-webhook URL (https://hooks.slack.com/services/…); it posts to one channel.",
  schema: z.object({ url: z.url().meta({ title: "Webhook URL" }) }),
  secret: ["url"],
});

async function values<T extends z.ZodObject>(
  credentials: { get(): Promise<{ type: string; values: Record<string, unknown> }> },
  schema: T,
  type: string,
): Promise<z.output<T>> {
  const { values } = await credentials.get();
  const parsed = schema.safeParse(values);
  if (!parsed.success) {
    throw new NodeError("WEFT_E_CREDENTIAL_INVALID", `the ${type} credential is incomplete`, {
      details: { fields: parsed.error.issues.map((issue) => issue.path.join(".")) },
    });
  }
  return parsed.data;
}

export const slackValues = (credentials: Parameters<typeof values>[0]) =>
  values(credentials, slackCredential.schema, "slack");
export const slackWebhookValues = (credentials: Parameters<typeof values>[0]) =>
  values(credentials, slackWebhookCredential.schema, "slackWebhook");

// jira.transitionIssue and jira.addComment: the two ways a workflow moves an existing issue along.
import { defineNode, NodeError } from "@weft/sdk";
import { z } from "zod";
import { toAdf } from "./adf.ts";
import { JiraClient } from "./client.ts";
import { jiraCredential, jiraValues } from "./credential.ts";
import { JiraErrorCode } from "./errors.ts";

const issueKey = z
  .string()
  .regex(/^[A-Z][A-Z0-9_]+-\d+$/, "an issue key looks like SEC-123")
  .meta({ title: "Issue key", description: "e.g. SEC-123", order: 1 });
const format = z
  .enum(["markdown", "plain"])
  .default("markdown")
  .meta({ title: "Format", enumLabels: { markdown: "Markdown", plain: "Plain text" }, order: 10 });
const credentials = {
  type: "jira",
  values: { baseUrl: "https://example.atlassian.net", email: "secops@example.com", apiToken: "jira-token" },
};

interface Transition {
  id: string;
  name: string;
  to?: { name?: string };
}

export const transitionIssue = defineNode({
  type: "jira.transitionIssue",
  version: 1,
  category: "integration",
  title: "Transition a Jira issue",
  description:
    "Moves an issue through its workflow by transition name (or target status name), resolved through the issue's available transitions; optionally adds a comment.",
  icon: "jira",
  credentials: [jiraCredential],
  config: z.object({
    issueKey,
    transition: z.string().min(1).meta({
      title: "Transition",
      description: 'Transition name (e.g. "Done") or the status it leads to; case-insensitive.',
      order: 2,
    }),
    comment: z.string().optional().meta({ title: "Comment", widget: "multiline", order: 3 }),
    format,
  }),
  output: z.object({
    issueKey: z.string(),
    transitionId: z.string(),
    transition: z.string(),
    status: z.string().nullable(),
  }),
  examples: [
    {
      name: "close a ticket",
      config: { issueKey: "SEC-1", transition: "Done", comment: "Fixed: the **finding** is gone." },
      credentials,
    },
  ],
  strategy: {
    async execute(ctx) {
      const { issueKey: key, transition: wanted, comment } = ctx.config;
      const client = new JiraClient(await jiraValues(ctx.credentials), ctx);
      const path = `/rest/api/3/issue/${encodeURIComponent(key)}/transitions`;
      const { transitions = [] } = await client.json<{ transitions?: Transition[] }>("GET", path);
      const norm = wanted.trim().toLowerCase();
      const match =
        transitions.find((t) => t.name.toLowerCase() === norm) ??
        transitions.find((t) => t.to?.name?.toLowerCase() === norm);
      if (!match) {
        throw new NodeError(
          JiraErrorCode.TransitionUnavailable,
          `${key} has no transition "${wanted}" from its current status; available: ${transitions.map((t) => `"${t.name}"`).join(", ") || "none"}`,
          { details: { issueKey: key, transition: wanted, available: transitions.map((t) => t.name) } },
        );
      }
      const body: Record<string, unknown> = { transition: { id: match.id } };
      if (comment) body["update"] = { comment: [{ add: { body: toAdf(comment, ctx.config.format) } }] };
      await client.request("POST", path, { body }); // 204 No Content
      return { issueKey: key, transitionId: match.id, transition: match.name, status: match.to?.name ?? null };
    },
  },
});

export const addComment = defineNode({
  type: "jira.addComment",
  version: 1,
  category: "integration",
  title: "Comment on a Jira issue",
  description: "Adds a comment (Markdown or plain text, converted to Atlassian Document Format) to an issue.",
  icon: "jira",
  credentials: [jiraCredential],
  config: z.object({
    issueKey,
    body: z.string().min(1).meta({ title: "Comment", widget: "multiline", order: 2 }),
    format,
  }),
  output: z.object({ id: z.string(), issueKey: z.string(), created: z.string().nullable() }),
  examples: [
    {
      name: "comment with scan results",
      config: { issueKey: "SEC-1", body: "Rescan on `host-0`: still vulnerable.\n\n1. patch\n2. rescan" },
      credentials,
    },
  ],
  strategy: {
    async execute(ctx) {
      const client = new JiraClient(await jiraValues(ctx.credentials), ctx);
      const key = ctx.config.issueKey;
      const comment = await client.json<{ id: string; created?: string }>(
        "POST",
        `/rest/api/3/issue/${encodeURIComponent(key)}/comment`,
        { body: { body: toAdf(ctx.config.body, ctx.config.format) } },
      );
      return { id: String(comment.id), issueKey: key, created: comment.created ?? null };
    },
  },
});

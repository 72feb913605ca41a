// jira.searchIssues: JQL through `POST /rest/api/3/search/jql`, which pages with `nextPageToken`
// (absent on the last page) and reports no total; pages are followed up to `limit` issues.
import { defineNode } from "@weft/sdk";
import { z } from "zod";
import { JiraClient } from "./client.ts";
import { jiraCredential, jiraValues } from "./credential.ts";

interface SearchPage {
  issues?: { id: string; key: string; fields?: Record<string, unknown> }[];
  nextPageToken?: string;
  isLast?: boolean;
}

export const searchIssues = defineNode({
  type: "jira.searchIssues",
  version: 1,
  category: "integration",
  title: "Search Jira issues",
  description: "Runs a JQL search and returns matching issues (following page tokens) up to a limit.",
  icon: "jira",
  credentials: [jiraCredential],
  config: z.object({
    jql: z.string().min(1).meta({
      title: "JQL",
      description: "e.g. project = SEC AND statusCategory != Done ORDER BY created DESC",
      widget: "code",
      order: 1,
    }),
    fields: z
      .array(z.string().min(1))
      .default(["summary", "status", "labels", "priority"])
      .meta({ title: "Fields", description: "Issue fields to return (*all for every field).", order: 2 }),
    limit: z
      .int()
      .min(1)
      .max(10_000)
      .default(100)
      .meta({ title: "Limit", description: "Most issues to return.", order: 3 }),
    pageSize: z.int().min(1).max(5000).default(100).meta({ title: "Page size", order: 4 }),
  }),
  output: z.object({
    issues: z.array(
      z.object({ id: z.string(), key: z.string(), url: z.string(), fields: z.record(z.string(), z.unknown()) }),
    ),
    /** True when more issues matched than `limit`. */
    truncated: z.boolean(),
  }),
  examples: [
    {
      name: "open security tickets",
      config: { jql: "project = SEC AND statusCategory != Done ORDER BY created DESC", limit: 50 },
      credentials: {
        type: "jira",
        values: { baseUrl: "https://example.atlassian.net", email: "secops@example.com", apiToken: "jira-token" },
      },
    },
  ],
  strategy: {
    async execute(ctx) {
      const { jql, fields, limit, pageSize } = ctx.config;
      const client = new JiraClient(await jiraValues(ctx.credentials), ctx);
      const issues: { id: string; key: string; url: string; fields: Record<string, unknown> }[] = [];
      let token: string | undefined;
      let truncated = false;
      for (;;) {
        const page = await client.json<SearchPage>("POST", "/rest/api/3/search/jql", {
          body: {
            jql,
            fields,
            maxResults: Math.min(pageSize, limit - issues.length),
            ...(token ? { nextPageToken: token } : {}),
          },
          idempotent: true,
        });
        for (const issue of page.issues ?? []) {
          if (issues.length === limit) break;
          issues.push({
            id: String(issue.id),
            key: issue.key,
            url: client.browseUrl(issue.key),
            fields: issue.fields ?? {},
          });
        }
        token = page.nextPageToken;
        if (!token || page.isLast === true) break;
        if (issues.length >= limit) {
          truncated = true;
          break;
        }
      }
      return { issues, truncated };
    },
  },
});

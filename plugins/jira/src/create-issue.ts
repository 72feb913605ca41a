// jira.createIssue and jira.createIssues: open issues with ADF descriptions, optionally deduplicated
// by a finding key (see dedup.ts) so re-runs and retries do not open duplicate tickets.
import { defineNode } from "@weft/sdk";
import { z } from "zod";
import { toAdf } from "./adf.ts";
import { JiraClient } from "./client.ts";
import { jiraCredential, jiraValues } from "./credential.ts";
import { findingLabel, findOpenIssue } from "./dedup.ts";

const project = z
  .string()
  .regex(/^[A-Z][A-Z0-9_]+$/, "a Jira project key is upper case, e.g. SEC")
  .meta({ title: "Project key", description: "e.g. SEC", order: 1 });
const issueType = z
  .string()
  .min(1)
  .default("Task")
  .meta({ title: "Issue type", description: "e.g. Task, Bug", order: 2 });
const descriptionFormat = z
  .enum(["markdown", "plain"])
  .default("markdown")
  .meta({
    title: "Description format",
    description: "How descriptions are converted to Atlassian Document Format.",
    enumLabels: { markdown: "Markdown", plain: "Plain text" },
    order: 20,
  });

const issueSpec = {
  summary: z.string().trim().min(1).max(255).meta({ title: "Summary", order: 3 }),
  description: z.string().optional().meta({ title: "Description", widget: "multiline", order: 4 }),
  labels: z
    .array(z.string().regex(/^\S+$/, "labels cannot contain spaces"))
    .default([])
    .meta({ title: "Labels", order: 5 }),
  priority: z.string().min(1).optional().meta({ title: "Priority", description: "e.g. High, Medium", order: 6 }),
  fields: z.record(z.string(), z.unknown()).default({}).meta({
    title: "Other fields",
    description: 'Extra fields by id, as Jira expects them, e.g. { "customfield_10050": "value" }.',
    widget: "code",
    order: 7,
  }),
  findingKey: z.string().min(1).optional().meta({
    title: "Finding key",
    description:
      "Identifies what the issue is about (e.g. asset id + plugin id). With deduplication on, an open issue with the same key is returned instead of creating one.",
    order: 8,
  }),
};

const issueResult = z.object({
  id: z.string(),
  key: z.string(),
  url: z.string(),
  /** False when an open issue with the same finding key already existed. */
  created: z.boolean(),
});

type IssueSpec = {
  summary: string;
  description?: string | undefined;
  labels: string[];
  priority?: string | undefined;
  fields: Record<string, unknown>;
  findingKey?: string | undefined;
};

interface Common {
  project: string;
  issueType: string;
  descriptionFormat: "markdown" | "plain";
  dedupe: boolean;
}

async function createOne(client: JiraClient, common: Common, spec: IssueSpec): Promise<z.output<typeof issueResult>> {
  const labels = [...spec.labels];
  if (common.dedupe) {
    const label = findingLabel(spec.findingKey ?? `${common.project}:${spec.summary}`);
    const existing = await findOpenIssue(client, common.project, label);
    if (existing) return { ...existing, url: client.browseUrl(existing.key), created: false };
    labels.push(label);
  }
  const fields: Record<string, unknown> = {
    ...spec.fields,
    project: { key: common.project },
    issuetype: { name: common.issueType },
    summary: spec.summary,
    labels,
  };
  if (spec.description !== undefined) fields["description"] = toAdf(spec.description, common.descriptionFormat);
  if (spec.priority !== undefined) fields["priority"] = { name: spec.priority };
  // Not retried inline on 5xx (it may have been created); with dedupe on, the kernel's retry is safe.
  const created = await client.json<{ id: string; key: string }>("POST", "/rest/api/3/issue", { body: { fields } });
  return { id: String(created.id), key: created.key, url: client.browseUrl(created.key), created: true };
}

const credentials = {
  type: "jira",
  values: { baseUrl: "https://example.atlassian.net", email: "secops@example.com", apiToken: "jira-token" },
};

export const createIssue = defineNode({
  type: "jira.createIssue",
  version: 1,
  category: "integration",
  title: "Create a Jira issue",
  description:
    "Creates a Jira Cloud issue (description converted from Markdown or plain text to Atlassian Document Format). With deduplication, returns the open issue that has the same finding key instead.",
  icon: "jira",
  credentials: [jiraCredential],
  config: z.object({
    project,
    issueType,
    ...issueSpec,
    descriptionFormat,
    dedupe: z.boolean().default(false).meta({
      title: "Deduplicate",
      description: "Look for an open issue with the same finding key (label weft-<hash>) before creating one.",
      order: 21,
    }),
  }),
  output: issueResult,
  examples: [
    {
      name: "open a deduplicated ticket for a finding",
      config: {
        project: "SEC",
        issueType: "Bug",
        summary: "Critical: OpenSSL on host-0",
        description: "**CVE-2024-1000** on `host-0`\n\n- upgrade OpenSSL\n- restart nginx",
        labels: ["tenable"],
        priority: "High",
        findingKey: "asset-0:100000",
        dedupe: true,
      },
      credentials,
    },
  ],
  strategy: {
    async execute(ctx) {
      const client = new JiraClient(await jiraValues(ctx.credentials), ctx);
      return createOne(client, ctx.config, ctx.config);
    },
  },
});

export const createIssues = defineNode({
  type: "jira.createIssues",
  version: 1,
  category: "integration",
  title: "Create Jira issues (one per item)",
  description:
    "Creates one Jira Cloud issue per entry of a list (e.g. one per affected asset), deduplicated by finding key by default, in order. Outputs every issue with whether it was created or already open.",
  icon: "jira",
  credentials: [jiraCredential],
  config: z.object({
    project,
    issueType,
    issues: z.array(z.object(issueSpec)).max(1000).meta({
      title: "Issues",
      description: "The issues to open; usually an expression building one entry per finding or asset.",
      widget: "code",
      order: 3,
    }),
    descriptionFormat,
    dedupe: z.boolean().default(true).meta({
      title: "Deduplicate",
      description: "Look for an open issue with the same finding key (label weft-<hash>) before creating each.",
      order: 21,
    }),
  }),
  output: z.object({ issues: z.array(issueResult) }),
  examples: [
    {
      name: "one ticket per asset",
      config: {
        project: "SEC",
        issues: [
          {
            summary: "2 critical findings on host-0",
            description: "- CVE-2024-1000\n- CVE-2024-1005",
            findingKey: "asset-0",
          },
          { summary: "1 critical finding on host-1", findingKey: "asset-1", labels: ["tenable"] },
        ],
      },
      credentials,
    },
  ],
  strategy: {
    async execute(ctx) {
      const client = new JiraClient(await jiraValues(ctx.credentials), ctx);
      const issues: z.output<typeof issueResult>[] = [];
      // Sequential on purpose: Jira rate-limits per user, and an earlier failure leaves the issues
      // created so far labelled, so the kernel's retry picks them up through deduplication.
      for (const spec of ctx.config.issues) issues.push(await createOne(client, ctx.config, spec));
      const created = issues.filter((i) => i.created).length;
      ctx.logger.info(`${created} issue(s) created, ${issues.length - created} already open`);
      return { issues };
    },
  },
});

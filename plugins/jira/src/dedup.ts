// Finding keys: a label `weft-<hash>` put on every issue a workflow opens for a finding, so a re-run
// or a retry (whose first attempt may have created the issue before failing) finds the open issue
// instead of opening a duplicate. Jira's search index can lag a write by a few seconds, so two runs
// racing on the same finding within that window may still both create one.
import { createHash } from "node:crypto";
import type { JiraClient } from "./client.ts";

/** The label that marks issues opened for `findingKey`. */
export function findingLabel(findingKey: string): string {
  return `weft-${createHash("sha256").update(findingKey).digest("hex").slice(0, 16)}`;
}

function quote(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** The newest issue of `project` carrying `label` that is not done, if any. */
export async function findOpenIssue(
  client: JiraClient,
  project: string,
  label: string,
): Promise<{ id: string; key: string } | undefined> {
  const jql = `project = ${quote(project)} AND labels = ${quote(label)} AND statusCategory != Done ORDER BY created DESC`;
  const page = await client.json<{ issues?: { id: string; key: string }[] }>("POST", "/rest/api/3/search/jql", {
    body: { jql, maxResults: 1, fields: ["summary"] },
    idempotent: true,
  });
  const [issue] = page.issues ?? [];
  return issue ? { id: String(issue.id), key: issue.key } : undefined;
}

// @weft/plugin-jira: Jira Cloud REST API v3 nodes.
import { definePlugin } from "@weft/sdk";
import pkg from "../package.json" with { type: "json" };
import { createIssue, createIssues } from "./create-issue.ts";
import { jiraCredential } from "./credential.ts";
import { addComment, transitionIssue } from "./issue-updates.ts";
import { searchIssues } from "./search-issues.ts";

export type { AdfDocument, AdfNode, TextFormat } from "./adf.ts";
export { toAdf } from "./adf.ts";
export { createIssue, createIssues } from "./create-issue.ts";
export { jiraCredential } from "./credential.ts";
export { findingLabel } from "./dedup.ts";
export { JiraErrorCode } from "./errors.ts";
export { addComment, transitionIssue } from "./issue-updates.ts";
export { searchIssues } from "./search-issues.ts";

export default definePlugin({
  name: pkg.name,
  version: pkg.version,
  engine: pkg.weft.engine,
  description: pkg.description,
  nodes: [createIssue, createIssues, transitionIssue, addComment, searchIssues],
  credentials: [jiraCredential],
});

import { runNode } from "@weft/sdk/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeJira } from "../test/fake-jira.ts";
import { createIssue, createIssues } from "./create-issue.ts";
import { findingLabel } from "./dedup.ts";

let fake: FakeJira;
beforeEach(async () => {
  fake = new FakeJira();
  await fake.start();
});
afterEach(() => fake.close());

const credentials = () => ({
  type: "jira",
  values: { baseUrl: fake.url, email: "secops@example.com", apiToken: "jira-token" },
});
const base = { project: "SEC", issueType: "Bug", summary: "Critical: OpenSSL on host-0" };

describe("jira.createIssue", () => {
  it("creates an issue with an ADF description, labels, priority and custom fields", async () => {
    const { outcome } = await runNode(createIssue, {
      config: {
        ...base,
        description: "**CVE-2024-1000** on `host-0`\n\n- upgrade",
        labels: ["tenable"],
        priority: "High",
        fields: { customfield_10050: "prod" },
      },
      credentials: credentials(),
    });
    expect(outcome).toMatchObject({
      status: "succeeded",
      output: { key: "SEC-1", url: `${fake.url}/browse/SEC-1`, created: true },
    });
    const [issue] = fake.issues;
    expect(issue?.fields).toMatchObject({ labels: ["tenable"], priority: { name: "High" }, customfield_10050: "prod" });
    expect(issue?.fields.description).toMatchObject({ type: "doc", version: 1 });
  });

  it("returns the open issue with the same finding key instead of creating a duplicate", async () => {
    const config = { ...base, findingKey: "asset-0:100000", dedupe: true };
    const first = await runNode(createIssue, { config, credentials: credentials() });
    const second = await runNode(createIssue, { config, credentials: credentials() });
    expect(first.outcome).toMatchObject({ status: "succeeded", output: { key: "SEC-1", created: true } });
    expect(second.outcome).toMatchObject({ status: "succeeded", output: { key: "SEC-1", created: false } });
    expect(fake.issues).toHaveLength(1);
    expect(fake.issues[0]?.fields.labels).toContain(findingLabel("asset-0:100000"));
  });

  it("opens a new issue once the previous one for the finding is done", async () => {
    const config = { ...base, findingKey: "asset-0:100000", dedupe: true };
    await runNode(createIssue, { config, credentials: credentials() });
    fake.issues[0]!.fields.status = { name: "Done", statusCategory: { key: "done" } };
    const { outcome } = await runNode(createIssue, { config, credentials: credentials() });
    expect(outcome).toMatchObject({ status: "succeeded", output: { key: "SEC-2", created: true } });
  });

  it("turns Jira's field errors into a readable, non-retryable error naming the fields", async () => {
    const { outcome } = await runNode(createIssue, {
      config: { ...base, issueType: "Epic", priority: "Urgent", fields: { customfield_99999: 1 } },
      credentials: credentials(),
      retry: { maxAttempts: 3 },
    });
    expect(outcome).toMatchObject({ status: "failed", error: { code: "WEFT_E_JIRA_REJECTED", retryable: false } });
    if (outcome.status === "failed") {
      expect(outcome.error.message).toContain("issuetype: Specify a valid issue type");
      expect(outcome.error.message).toContain("priority");
      expect(outcome.error.message).toContain("customfield_99999");
      expect(outcome.error.details).toMatchObject({ status: 400, fields: { issuetype: "Specify a valid issue type" } });
    }
  });

  it("never sends a plain-string description (Jira would reject it)", async () => {
    const { outcome } = await runNode(createIssue, {
      config: { ...base, description: "line one\nline two", descriptionFormat: "plain" },
      credentials: credentials(),
    });
    expect(outcome.status).toBe("succeeded");
    expect(fake.issues[0]?.fields.description).toEqual({
      type: "doc",
      version: 1,
      content: [
        {
          type: "paragraph",
          content: [{ type: "text", text: "line one" }, { type: "hardBreak" }, { type: "text", text: "line two" }],
        },
      ],
    });
  });

  it("fails with a non-retryable auth error on 401", async () => {
    const { outcome, attempts } = await runNode(createIssue, {
      config: base,
      credentials: { type: "jira", values: { baseUrl: fake.url, email: "secops@example.com", apiToken: "nope" } },
      retry: { maxAttempts: 3 },
    });
    expect(outcome).toMatchObject({ status: "failed", error: { code: "WEFT_E_AUTH", retryable: false } });
    if (outcome.status === "failed") expect(outcome.error.message).toContain("Client must be authenticated");
    expect(attempts).toBe(1);
  });

  it("waits out a 429 Retry-After and creates the issue once", async () => {
    fake.rateLimit("/rest/api/3/issue", 1);
    const { outcome, attempts } = await runNode(createIssue, { config: base, credentials: credentials() });
    expect(outcome.status).toBe("succeeded");
    expect(attempts).toBe(1);
    expect(fake.issues).toHaveLength(1);
  });

  it("reads X-RateLimit-Reset when a 429 has no Retry-After", async () => {
    fake.inject({
      path: "/rest/api/3/issue",
      status: 429,
      headers: { "x-ratelimit-reset": new Date(Date.now() + 600_000).toISOString() },
      body: JSON.stringify({ errorMessages: ["Rate limit exceeded."], errors: {} }),
    });
    const { outcome } = await runNode(createIssue, { config: base, credentials: credentials() });
    expect(outcome).toMatchObject({ status: "failed", error: { code: "WEFT_E_RATE_LIMITED", retryable: true } });
    if (outcome.status === "failed") expect(outcome.error.retryAfterMs).toBeGreaterThan(500_000);
  });

  it("does not retry a create inline on 5xx; with dedupe the policy's retry finds the issue the lost answer created", async () => {
    fake.loseCreateAnswers = 1; // Jira creates the issue, then the answer is a 503
    const { outcome, attempts } = await runNode(createIssue, {
      config: { ...base, findingKey: "asset-1:100001", dedupe: true },
      credentials: credentials(),
      retry: { maxAttempts: 2 },
    });
    expect(outcome).toMatchObject({ status: "succeeded", output: { key: "SEC-1", created: false } });
    expect(attempts).toBe(2);
    expect(fake.issues).toHaveLength(1);
    expect(fake.calls("POST", "/rest/api/3/issue")).toHaveLength(1);
  });

  it("is cancelled mid-call", async () => {
    fake.inject({ path: "/rest/api/3/issue", hang: true });
    const controller = new AbortController();
    const watcher = setInterval(() => {
      if (fake.calls("POST", "/rest/api/3/issue").length > 0) controller.abort();
    }, 5);
    try {
      const { outcome } = await runNode(createIssue, {
        config: base,
        credentials: credentials(),
        signal: controller.signal,
      });
      expect(outcome.status).toBe("cancelled");
    } finally {
      clearInterval(watcher);
    }
  });

  it("rejects invalid config before calling Jira", async () => {
    const { outcome } = await runNode(createIssue, {
      config: { project: "{{ $input.project }}", summary: "x", labels: "{{ $input.labels }}" },
      input: { project: "sec", labels: ["has space"] },
      credentials: credentials(),
    });
    expect(outcome).toMatchObject({ status: "failed", error: { code: "WEFT_E_CONFIG_INVALID", retryable: false } });
    expect(JSON.stringify(outcome)).toContain("project");
    expect(JSON.stringify(outcome)).toContain("labels");
    expect(fake.requests).toHaveLength(0);
  });
});

describe("jira.createIssues", () => {
  it("creates one issue per item and skips those already open on a re-run", async () => {
    const config = {
      project: "SEC",
      issues: [
        { summary: "host-0", findingKey: "asset-0" },
        { summary: "host-1", findingKey: "asset-1" },
      ],
    };
    const first = await runNode(createIssues, { config, credentials: credentials() });
    expect(first.outcome).toMatchObject({
      status: "succeeded",
      output: {
        issues: [
          { key: "SEC-1", created: true },
          { key: "SEC-2", created: true },
        ],
      },
    });
    const second = await runNode(createIssues, {
      config: { ...config, issues: [...config.issues, { summary: "host-2", findingKey: "asset-2" }] },
      credentials: credentials(),
    });
    expect(second.outcome).toMatchObject({
      status: "succeeded",
      output: {
        issues: [
          { key: "SEC-1", created: false },
          { key: "SEC-2", created: false },
          { key: "SEC-3", created: true },
        ],
      },
    });
    expect(fake.issues).toHaveLength(3);
  });

  it("accepts the list from an expression", async () => {
    const { outcome } = await runNode(createIssues, {
      config: { project: "SEC", issues: "{{ $input.assets.{ 'summary': 'Findings on ' & name, 'findingKey': id } }}" },
      input: {
        assets: [
          { id: "a", name: "host-a" },
          { id: "b", name: "host-b" },
        ],
      },
      credentials: credentials(),
    });
    expect(outcome).toMatchObject({ status: "succeeded" });
    expect(fake.issues.map((i) => i.fields.summary)).toEqual(["Findings on host-a", "Findings on host-b"]);
  });
});

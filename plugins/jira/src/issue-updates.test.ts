import { runNode } from "@weft/sdk/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeJira } from "../test/fake-jira.ts";
import { addComment, transitionIssue } from "./issue-updates.ts";

let fake: FakeJira;
beforeEach(async () => {
  fake = new FakeJira();
  await fake.start();
  fake.issues.push({
    id: "10001",
    key: "SEC-1",
    fields: {
      project: { key: "SEC" },
      issuetype: { name: "Bug" },
      summary: "x",
      labels: [],
      status: { name: "To Do", statusCategory: { key: "new" } },
    },
    comments: [],
  });
});
afterEach(() => fake.close());

const credentials = () => ({
  type: "jira",
  values: { baseUrl: fake.url, email: "secops@example.com", apiToken: "jira-token" },
});

describe("jira.transitionIssue", () => {
  it("resolves the transition by name and applies it (204), with a comment in ADF", async () => {
    const { outcome } = await runNode(transitionIssue, {
      config: { issueKey: "SEC-1", transition: "done", comment: "Fixed in **v2**" },
      credentials: credentials(),
    });
    expect(outcome).toMatchObject({
      status: "succeeded",
      output: { issueKey: "SEC-1", transitionId: "31", transition: "Done", status: "Done" },
    });
    expect(fake.issues[0]?.fields.status.name).toBe("Done");
    expect(fake.calls("POST", "/rest/api/3/issue/SEC-1/transitions")[0]?.body).toMatchObject({
      update: { comment: [{ add: { body: { type: "doc", version: 1 } } }] },
    });
  });

  it("also accepts the target status name", async () => {
    const { outcome } = await runNode(transitionIssue, {
      config: { issueKey: "SEC-1", transition: "In Progress" },
      credentials: credentials(),
    });
    expect(outcome).toMatchObject({ status: "succeeded", output: { transition: "Start Progress" } });
  });

  it("names the available transitions when the wanted one does not exist", async () => {
    const { outcome } = await runNode(transitionIssue, {
      config: { issueKey: "SEC-1", transition: "Reopen" },
      credentials: credentials(),
    });
    expect(outcome).toMatchObject({
      status: "failed",
      error: { code: "WEFT_E_JIRA_TRANSITION_UNAVAILABLE", retryable: false },
    });
    if (outcome.status === "failed") expect(outcome.error.message).toContain('"Start Progress"');
  });

  it("fails with WEFT_E_REMOTE_NOT_FOUND (Jira's message kept) for an unknown issue", async () => {
    const { outcome } = await runNode(transitionIssue, {
      config: { issueKey: "SEC-9", transition: "Done" },
      credentials: credentials(),
    });
    expect(outcome).toMatchObject({ status: "failed", error: { code: "WEFT_E_REMOTE_NOT_FOUND", retryable: false } });
    if (outcome.status === "failed") expect(outcome.error.message).toContain("Issue does not exist");
  });

  it("retries a 5xx on reading transitions inside the attempt", async () => {
    fake.inject({ method: "GET", path: /transitions$/, status: 502, body: "<html>Bad Gateway</html>" });
    const { outcome, attempts } = await runNode(transitionIssue, {
      config: { issueKey: "SEC-1", transition: "Done" },
      credentials: credentials(),
    });
    expect(outcome.status).toBe("succeeded");
    expect(attempts).toBe(1);
  });
});

describe("jira.addComment", () => {
  it("adds an ADF comment", async () => {
    const { outcome } = await runNode(addComment, {
      config: { issueKey: "SEC-1", body: "Rescan: still *vulnerable*" },
      credentials: credentials(),
    });
    expect(outcome).toMatchObject({ status: "succeeded", output: { issueKey: "SEC-1" } });
    expect(fake.issues[0]?.comments[0]?.body).toMatchObject({
      type: "doc",
      content: [
        { type: "paragraph", content: [{ text: "Rescan: still " }, { text: "vulnerable", marks: [{ type: "em" }] }] },
      ],
    });
  });
});

import { runNode } from "@weft/sdk/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeJira } from "../test/fake-jira.ts";
import { searchIssues } from "./search-issues.ts";

let fake: FakeJira;
beforeEach(async () => {
  fake = new FakeJira();
  await fake.start();
  for (let i = 1; i <= 7; i++) {
    fake.issues.push({
      id: String(10000 + i),
      key: `SEC-${i}`,
      fields: {
        project: { key: "SEC" },
        issuetype: { name: "Bug" },
        summary: `issue ${i}`,
        labels: i % 2 ? ["odd"] : [],
        status: { name: "To Do", statusCategory: { key: "new" } },
      },
      comments: [],
    });
  }
});
afterEach(() => fake.close());

const credentials = () => ({
  type: "jira",
  values: { baseUrl: fake.url, email: "secops@example.com", apiToken: "jira-token" },
});

describe("jira.searchIssues", () => {
  it("follows nextPageToken across pages until the last one", async () => {
    const { outcome } = await runNode(searchIssues, {
      config: { jql: "project = SEC", pageSize: 3 },
      credentials: credentials(),
    });
    expect(outcome.status).toBe("succeeded");
    if (outcome.status !== "succeeded") return;
    const output = outcome.output as { issues: { key: string; url: string }[]; truncated: boolean };
    expect(output.issues.map((i) => i.key)).toEqual(["SEC-7", "SEC-6", "SEC-5", "SEC-4", "SEC-3", "SEC-2", "SEC-1"]);
    expect(output.truncated).toBe(false);
    expect(output.issues[0]?.url).toBe(`${fake.url}/browse/SEC-7`);
    const calls = fake.calls("POST", "/rest/api/3/search/jql");
    expect(calls).toHaveLength(3);
    expect(calls[1]?.body).toHaveProperty("nextPageToken");
  });

  it("stops at the limit and says the result is truncated", async () => {
    const { outcome } = await runNode(searchIssues, {
      config: { jql: "project = SEC", pageSize: 2, limit: 3 },
      credentials: credentials(),
    });
    expect(outcome).toMatchObject({ status: "succeeded", output: { truncated: true } });
    if (outcome.status === "succeeded") expect((outcome.output as { issues: unknown[] }).issues).toHaveLength(3);
  });

  it("reports a JQL error as Jira words it", async () => {
    const { outcome } = await runNode(searchIssues, { config: { jql: "colour = red" }, credentials: credentials() });
    expect(outcome).toMatchObject({ status: "failed", error: { code: "WEFT_E_JIRA_REJECTED", retryable: false } });
    if (outcome.status === "failed") expect(outcome.error.message).toContain("Field 'colour' does not exist");
  });

  it("waits out a 429 on a page and carries on", async () => {
    fake.rateLimit("/rest/api/3/search/jql", 1);
    const { outcome } = await runNode(searchIssues, { config: { jql: "labels = odd" }, credentials: credentials() });
    expect(outcome.status).toBe("succeeded");
    if (outcome.status === "succeeded") expect((outcome.output as { issues: unknown[] }).issues).toHaveLength(4);
  });
});

// The vulnerability-triage example end to end: the real runtime (inline transport, PostgreSQL store)
// runs examples/vuln-triage.json against the three fakes, twice; the second run opens no duplicates.
import { readFileSync } from "node:fs";
import corePlugin from "@weft/plugin-core";
import jiraPlugin from "@weft/plugin-jira";
import tenablePlugin from "@weft/plugin-tenable";
import { createRuntime, loadPlugins, type Runtime } from "@weft/runtime";
import { openStore, type Store } from "@weft/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/pg.ts";
import { FakeJira } from "../../jira/test/fake-jira.ts";
import { FakeTenable } from "../../tenable/test/fake-tenable.ts";
import slackPlugin from "../src/index.ts";
import { FakeSlack } from "./fake-slack.ts";

const definition = JSON.parse(readFileSync(new URL("../../../examples/vuln-triage.json", import.meta.url), "utf8"));
const tenable = new FakeTenable();
const jira = new FakeJira();
const slack = new FakeSlack();
let store: Store;
let runtime: Runtime;
let workflowId: string;

beforeAll(async () => {
  await Promise.all([tenable.start(), jira.start(), slack.start()]);
  tenable.pollsUntilFinished = 0;
  const credentials: Record<string, { type: string; values: Record<string, unknown> }> = {
    tenable: {
      type: "tenable",
      values: { accessKey: tenable.accessKey, secretKey: tenable.secretKey, baseUrl: tenable.url },
    },
    jira: { type: "jira", values: { baseUrl: jira.url, email: jira.email, apiToken: jira.apiToken } },
    slack: { type: "slack", values: { token: "xoxb-test", baseUrl: slack.apiUrl } },
  };
  store = await openStore({ databaseUrl: await createTestDatabase("vuln_triage"), encryptionKey: "22".repeat(32) });
  const catalog = await loadPlugins({ plugins: [corePlugin, tenablePlugin, jiraPlugin, slackPlugin] });
  runtime = await createRuntime({
    store,
    catalog,
    transport: "inline",
    workerId: "triage-test",
    credentials: async (name) => credentials[name],
  });
  await runtime.start();
  const workflow = await store.workflows.create({ name: "Vulnerability triage" });
  await store.workflows.publish(workflow.id, { definition, notes: "example" });
  workflowId = workflow.id;
});

afterAll(async () => {
  await runtime?.stop({ graceMs: 1000 });
  await store?.close();
  await Promise.all([tenable.close(), jira.close(), slack.close()]);
});

describe("examples/vuln-triage.json", () => {
  it("opens one Jira issue per affected asset and posts the summary to Slack, without duplicates on a re-run", async () => {
    const first = await runtime.startRun({ workflowId });
    const run = await runtime.waitForRun(first.runId, { terminal: true, timeoutMs: 60_000 });
    expect(run.status, JSON.stringify(run.state?.error ?? run)).toBe("succeeded");

    // Critical/high open findings with CVSS v3 >= 7 in the fake's data set, grouped by asset.
    const affected = new Set(
      tenable.vulnerabilities
        .filter(
          (v) =>
            ["critical", "high"].includes(v.severity) && v.state !== "FIXED" && (v.plugin.cvss3_base_score ?? 0) >= 7,
        )
        .map((v) => v.asset.uuid),
    );
    expect(affected.size).toBeGreaterThan(1);
    expect(jira.issues).toHaveLength(affected.size);
    for (const issue of jira.issues) {
      expect(issue.fields.summary).toMatch(/^\[Tenable\] \d+ critical\/high vulnerabilities on /);
      expect(issue.fields.description).toMatchObject({ type: "doc", version: 1 });
      expect(issue.fields.labels).toEqual(expect.arrayContaining(["tenable", "vuln-triage"]));
    }
    const keys = jira.issues.map((i) => i.key);
    expect(slack.messages).toHaveLength(1);
    expect(slack.messages[0]?.channel).toBe("C0SEC");
    expect(slack.messages[0]?.text).toContain(`${affected.size} opened, 0 already open (${keys.join(", ")})`);

    const second = await runtime.startRun({ workflowId });
    const again = await runtime.waitForRun(second.runId, { terminal: true, timeoutMs: 60_000 });
    expect(again.status).toBe("succeeded");
    expect(jira.issues).toHaveLength(affected.size);
    expect(slack.messages).toHaveLength(2);
    expect(slack.messages[1]?.text).toContain(`0 opened, ${affected.size} already open`);
  });
});

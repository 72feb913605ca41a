// Starts local fakes of Tenable, Jira and Slack on loopback ports for trying workflows without the
// real services, prints their URLs and writes a credentials file for `weft run --credentials`:
//
//   node scripts/fake-saas.ts [--credentials .data/fake-saas-credentials.json]
//   pnpm weft run examples/vuln-triage.json --credentials .data/fake-saas-credentials.json
//
// The credential names (tenable, jira, slack, slackWebhook) are the ones examples/vuln-triage.json
// references. Runs until interrupted (Ctrl-C).
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { FakeJira } from "../plugins/jira/test/fake-jira.ts";
import { FakeSlack } from "../plugins/slack/test/fake-slack.ts";
import { FakeTenable } from "../plugins/tenable/test/fake-tenable.ts";

const { values: args } = parseArgs({
  options: { credentials: { type: "string", default: ".data/fake-saas-credentials.json" } },
});

const tenable = new FakeTenable();
const jira = new FakeJira();
const slack = new FakeSlack();
await Promise.all([tenable.start(), jira.start(), slack.start()]);
tenable.pollsUntilFinished = 1;

const credentials = {
  tenable: {
    type: "tenable",
    values: { accessKey: tenable.accessKey, secretKey: tenable.secretKey, baseUrl: tenable.url },
  },
  jira: { type: "jira", values: { baseUrl: jira.url, email: jira.email, apiToken: jira.apiToken } },
  slack: { type: "slack", values: { token: [...slack.tokens.keys()][0], baseUrl: slack.apiUrl } },
  slackWebhook: { type: "slackWebhook", values: { url: slack.webhookUrl() } },
};
const file = path.resolve(args.credentials ?? ".data/fake-saas-credentials.json");
await mkdir(path.dirname(file), { recursive: true });
await writeFile(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });

console.log(`tenable  ${tenable.url}   (${tenable.vulnerabilities.length} findings, scan 42)`);
console.log(`jira     ${jira.url}   (project SEC)`);
console.log(`slack    ${slack.apiUrl}   (channel #sec-alerts = C0SEC; webhook ${slack.webhookUrl()})`);
console.log(`credentials written to ${file}`);

let last = { issues: 0, messages: 0 };
const report = setInterval(() => {
  if (jira.issues.length === last.issues && slack.messages.length === last.messages) return;
  for (const issue of jira.issues.slice(last.issues)) console.log(`jira: ${issue.key} ${issue.fields.summary}`);
  for (const message of slack.messages.slice(last.messages))
    console.log(`slack: ${message.channel} ${message.text ?? "(blocks)"}`);
  last = { issues: jira.issues.length, messages: slack.messages.length };
}, 500);

async function stop(): Promise<void> {
  clearInterval(report);
  await Promise.all([tenable.close(), jira.close(), slack.close()]);
  process.exit(0);
}
process.once("SIGINT", () => void stop());
process.once("SIGTERM", () => void stop());

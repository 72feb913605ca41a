import { defineCredential, NodeError } from "@weft/sdk";
import { z } from "zod";

/** Credential type `jira`: a Jira Cloud site, an account email and an API token (Basic auth). */
export const jiraCredential = defineCredential({
  type: "jira",
  title: "Jira Cloud API token",
  description: "An Atlassian account email and API token (id.atlassian.com → Security → API tokens).",
  schema: z.object({
    baseUrl: z.url().meta({
      title: "Site URL",
      description: "Your Jira site, e.g. https://your-company.atlassian.net",
      order: 1,
    }),
    email: z.string().min(1).meta({ title: "Account email", order: 2 }),
    apiToken: z.string().min(1).meta({ title: "API token", order: 3 }),
  }),
  secret: ["apiToken"],
});

export type JiraCredentialValues = z.output<typeof jiraCredential.schema>;

/** Resolves the node's `jira` credential into typed values. */
export async function jiraValues(credentials: {
  get(): Promise<{ type: string; values: Record<string, unknown> }>;
}): Promise<JiraCredentialValues> {
  const { values } = await credentials.get();
  const parsed = jiraCredential.schema.safeParse(values);
  if (!parsed.success) {
    throw new NodeError("WEFT_E_CREDENTIAL_INVALID", "the jira credential is incomplete", {
      details: { fields: parsed.error.issues.map((issue) => issue.path.join(".")) },
    });
  }
  return parsed.data;
}

import { defineCredential, NodeError } from "@weft/sdk";
import { z } from "zod";

/** The Tenable Vulnerability Management cloud; on-premises and test deployments override it. */
export const TENABLE_CLOUD_URL = "https://cloud.tenable.com";

/** Credential type `tenable`: an API key pair, sent as `X-ApiKeys: accessKey=…;secretKey=…`. */
export const tenableCredential = defineCredential({
  type: "tenable",
  title: "Tenable Vulnerability Management API keys",
  description: "An API access key and secret key (Settings → My Account → API Keys in Tenable).",
  schema: z.object({
    accessKey: z.string().min(1).meta({ title: "Access key", order: 1 }),
    secretKey: z.string().min(1).meta({ title: "Secret key", order: 2 }),
    baseUrl: z.url().default(TENABLE_CLOUD_URL).meta({
      title: "Base URL",
      description: "Tenable API base URL. Change it only for a proxy or a test server.",
      order: 3,
    }),
  }),
  secret: ["accessKey", "secretKey"],
});

export type TenableCredentialValues = z.output<typeof tenableCredential.schema>;

/** Resolves the node's `tenable` credential into typed values. */
export async function tenableValues(credentials: {
  get(): Promise<{ type: string; values: Record<string, unknown> }>;
}): Promise<TenableCredentialValues> {
  const { values } = await credentials.get();
  const parsed = tenableCredential.schema.safeParse(values);
  if (!parsed.success) {
    throw new NodeError("WEFT_E_CREDENTIAL_INVALID", "the tenable credential is incomplete", {
      details: { fields: parsed.error.issues.map((issue) => issue.path.join(".")) },
    });
  }
  return parsed.data;
}

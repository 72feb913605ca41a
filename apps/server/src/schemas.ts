// The request and response shapes of the API as zod schemas: routes validate with them and the
// OpenAPI document is generated from them.
import { scheduleProblem } from "@weft/runtime";
import { z } from "zod";
import { ROLES } from "./http/auth.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A resource id (UUID). */
export const idSchema = z.string().regex(UUID, "must be a UUID").meta({ format: "uuid" });
export const idParams = z.object({ id: idSchema });

export const roleSchema = z.enum(ROLES);
const json = z.json();
const isoTime = z.string().meta({ format: "date-time" });

/** `?limit=&offset=`: pages of at most 500 items. */
export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), total: z.number().int(), limit: z.number().int(), offset: z.number().int() });

// --- node types ---------------------------------------------------------------------------------

export const nodeTypeSchema = z
  .object({
    type: z.string(),
    version: z.number().int(),
    plugin: z.object({ name: z.string(), version: z.string() }),
    category: z.string(),
    title: z.string(),
    description: z.string().optional(),
    icon: z.string().optional(),
    configSchema: z.record(z.string(), z.unknown()).meta({ description: "JSON Schema (draft 2020-12)." }),
    outputSchema: z.record(z.string(), z.unknown()).optional(),
    ports: z.array(z.string()),
    credentials: z.array(z.unknown()).optional(),
  })
  .meta({ id: "NodeType" });

export const nodeTypeQuery = z.object({
  category: z.string().optional(),
  q: z.string().optional().meta({ description: "Case-insensitive text in type, title or description." }),
});

export const nodeTypeParams = z.object({ type: z.string().min(1) });
export const nodeTypeVersionQuery = z.object({ version: z.coerce.number().int().min(0).optional() });

// --- workflows ----------------------------------------------------------------------------------

export const workflowStatusSchema = z.enum(["draft", "active", "archived"]);

export const workflowSchema = z
  .object({
    id: idSchema,
    name: z.string(),
    description: z.string().nullable(),
    category: z.string().nullable(),
    tags: z.array(z.string()),
    status: workflowStatusSchema,
    owner: z.string().nullable(),
    latestVersion: z.string().nullable(),
    definition: z.unknown().optional().meta({ description: "The draft workflow definition." }),
    createdAt: isoTime,
    updatedAt: isoTime,
  })
  .meta({ id: "Workflow" });

export const workflowListQuery = pageQuery.extend({
  category: z.string().optional(),
  status: workflowStatusSchema.optional(),
  tag: z.string().optional(),
  text: z.string().optional().meta({ description: "Case-insensitive text in name or description." }),
});

export const workflowVersionSchema = z
  .object({
    id: idSchema,
    workflowId: idSchema,
    version: z.string(),
    definition: z.unknown(),
    pluginVersions: z.record(z.string(), z.string()),
    notes: z.string().nullable(),
    publishedBy: z.string().nullable(),
    publishedAt: isoTime,
  })
  .meta({ id: "WorkflowVersion" });

export const versionParams = z.object({ id: idSchema, version: z.string().min(1) });

const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

export const publishBody = z.object({
  version: z.string().regex(SEMVER, "must be an exact semver version, e.g. 1.2.0").optional(),
  notes: z.string().max(10_000).optional(),
});

export const executeBody = z.object({
  input: json.optional(),
  version: z.string().regex(SEMVER, "must be an exact semver version, e.g. 1.2.0").optional(),
});

export const runStartedSchema = z.object({ runId: idSchema, status: z.string() }).meta({ id: "RunStarted" });

export const validationIssueSchema = z
  .object({
    code: z.string(),
    message: z.string(),
    nodeId: z.string().optional(),
    edgeId: z.string().optional(),
    path: z.array(z.union([z.string(), z.number()])).optional(),
  })
  .meta({ id: "ValidationIssue" });

export const validationResultSchema = z.object({
  valid: z.boolean(),
  issues: z.array(validationIssueSchema),
  nodes: z
    .record(z.string(), z.array(validationIssueSchema))
    .meta({ description: "The issues of each node, by node id." }),
});

// --- runs ---------------------------------------------------------------------------------------

export const runStatusSchema = z.enum(["queued", "running", "paused", "waiting", "succeeded", "failed", "cancelled"]);

const errorInfoSchema = z
  .object({ code: z.string(), message: z.string(), retryable: z.boolean().optional(), details: z.unknown().optional() })
  .loose();

export const runSchema = z
  .object({
    id: idSchema,
    workflowId: idSchema,
    workflowVersionId: idSchema.nullable(),
    version: z.string().nullable(),
    status: runStatusSchema,
    triggerId: z.string().nullable(),
    triggerKind: z.string(),
    input: z.unknown(),
    output: z.unknown(),
    error: errorInfoSchema.nullable(),
    progress: z.unknown(),
    parentRunId: z.string().nullable(),
    createdAt: isoTime,
    startedAt: isoTime.nullable(),
    finishedAt: isoTime.nullable(),
    updatedAt: isoTime,
  })
  .loose()
  .meta({ id: "Run" });

export const stepSchema = z
  .object({
    id: idSchema,
    runId: idSchema,
    nodeId: z.string(),
    nodeType: z.string(),
    attempt: z.number().int(),
    status: z.enum(["succeeded", "failed", "suspended", "cancelled", "skipped"]),
    output: z.unknown(),
    port: z.string().nullable(),
    error: errorInfoSchema.nullable(),
    logs: z.array(z.unknown()),
    startedAt: isoTime.nullable(),
    finishedAt: isoTime.nullable(),
    durationMs: z.number().nullable(),
  })
  .loose()
  .meta({ id: "Step" });

export const runDetailSchema = runSchema.extend({ steps: z.array(stepSchema) }).meta({ id: "RunDetail" });

export const runListQuery = pageQuery.extend({
  workflowId: idSchema.optional(),
  status: runStatusSchema.optional(),
  triggerKind: z.string().optional(),
  since: isoTime.optional(),
  until: isoTime.optional(),
});

export const pruneBody = z.object({
  olderThanDays: z
    .number()
    .min(0)
    .max(36_500)
    .meta({ description: "Delete finished runs that finished more than this many days ago." }),
  batchSize: z
    .number()
    .int()
    .min(1)
    .max(10_000)
    .optional()
    .meta({ description: "Runs deleted per transaction (default 500)." }),
});

export const pruneResultSchema = z
  .object({ deleted: z.number().int().meta({ description: "How many runs were deleted." }) })
  .meta({ id: "PruneResult" });

// --- approvals ----------------------------------------------------------------------------------

export const approvalSchema = z
  .object({
    id: idSchema,
    runId: idSchema,
    nodeId: z.string(),
    title: z.string().nullable(),
    details: z.unknown(),
    approverRole: z.string().nullable(),
    approverUser: z.string().nullable(),
    status: z.enum(["pending", "approved", "rejected", "expired"]),
    expiresAt: isoTime.nullable(),
    comment: z.string().nullable(),
    decidedBy: z.string().nullable(),
    decidedAt: isoTime.nullable(),
    createdAt: isoTime,
  })
  .loose()
  .meta({ id: "Approval" });

export const approvalListQuery = z.object({
  status: z.enum(["pending"]).default("pending"),
  runId: idSchema.optional(),
});

export const decisionBody = z.object({ comment: z.string().max(10_000).optional() });

export const delegateBody = z
  .object({
    toUser: z.string().min(1).optional(),
    toRole: roleSchema.optional(),
    comment: z.string().max(10_000).optional(),
  })
  .refine((b) => b.toUser !== undefined || b.toRole !== undefined, {
    message: "name toUser or toRole",
    path: ["toUser"],
  });

// --- triggers -----------------------------------------------------------------------------------

export const triggerSchema = z
  .object({
    id: idSchema,
    workflowId: idSchema,
    kind: z.enum(["manual", "schedule", "webhook", "event"]),
    enabled: z.boolean(),
    cron: z.string().nullable(),
    timezone: z.string().nullable(),
    eventName: z.string().nullable(),
    hasSecret: z.boolean(),
    config: z.unknown(),
    nextRunAt: isoTime.nullable().meta({ description: "When a schedule fires next." }),
    lastRunAt: isoTime.nullable().meta({ description: "When a schedule last fired." }),
    createdAt: isoTime,
    updatedAt: isoTime,
  })
  .loose()
  .meta({ id: "Trigger" });

export const createTriggerBody = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("webhook"), enabled: z.boolean().optional(), config: json.optional() }),
  z
    .object({
      kind: z.literal("schedule"),
      cron: z.string().min(1).meta({ description: 'Five or six fields (seconds optional), e.g. "0 7 * * 1-5".' }),
      timezone: z.string().min(1).optional().meta({ description: "IANA time zone (default UTC)." }),
      enabled: z.boolean().optional(),
      config: json.optional(),
    })
    .superRefine((body, ctx) => {
      const problem = scheduleProblem(body);
      if (problem) ctx.addIssue({ code: "custom", path: [problem.field], message: problem.message });
    }),
  z.object({ kind: z.literal("event"), eventName: z.string().min(1), enabled: z.boolean().optional() }),
]);

export const webhookCreatedSchema = triggerSchema
  .extend({
    secret: z.string().optional().meta({ description: "Webhook signing secret: returned once, at creation." }),
    url: z.string().optional(),
  })
  .meta({ id: "TriggerCreated" });

export const hookParams = z.object({ triggerId: idSchema });

export const nodeParams = z.object({ id: idSchema, nodeId: z.string().min(1).max(200) });

export const resumeBody = json.meta({ description: "The payload the waiting node resumes with (any JSON)." });

// --- credentials and API keys -------------------------------------------------------------------

export const credentialSchema = z
  .object({ id: idSchema, name: z.string(), type: z.string(), createdAt: isoTime, updatedAt: isoTime })
  .loose()
  .meta({ id: "Credential" });

export const createCredentialBody = z.object({
  name: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "letters, digits, '.', '_' and '-'"),
  type: z.string().min(1),
  values: z.record(z.string(), z.unknown()).meta({ description: "Write-only: never returned." }),
});

export const apiKeySchema = z
  .object({
    id: idSchema,
    name: z.string(),
    role: roleSchema,
    prefix: z.string(),
    createdAt: isoTime,
    lastUsedAt: isoTime.nullable(),
    revokedAt: isoTime.nullable(),
  })
  .meta({ id: "ApiKey" });

export const createApiKeyBody = z.object({ name: z.string().min(1).max(200), role: roleSchema });

export const apiKeyCreatedSchema = apiKeySchema
  .extend({ key: z.string().meta({ description: "The key itself: shown once, store it now." }) })
  .meta({ id: "ApiKeyCreated" });

// --- misc ---------------------------------------------------------------------------------------

export const healthSchema = z.object({ status: z.literal("ok"), version: z.string() });
export const readySchema = z.object({
  status: z.enum(["ready", "not_ready"]),
  checks: z.record(z.string(), z.string()),
});

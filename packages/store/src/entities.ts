// The schema as MikroORM metadata. Relations are kept as plain id columns (foreign keys live in the
// migrations): repositories work on rows, never on object graphs, so lazy references would only cost.
import { defineEntity, p } from "@mikro-orm/core";
import type { Json } from "./records.ts";

export const WorkflowEntity = defineEntity({
  name: "Workflow",
  tableName: "workflows",
  properties: {
    id: p.uuid().primary(),
    name: p.text(),
    description: p.text().nullable(),
    category: p.text().nullable(),
    tags: p.array<string>().default([]),
    status: p.text().default("draft"),
    owner: p.text().nullable(),
    latestVersion: p.text().nullable(),
    /** The editable (draft) definition; published versions are immutable rows of their own. */
    definition: p.json<Json>().nullable().lazy(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
});

export const WorkflowVersionEntity = defineEntity({
  name: "WorkflowVersion",
  tableName: "workflow_versions",
  properties: {
    id: p.uuid().primary(),
    workflowId: p.uuid(),
    version: p.text(),
    definition: p.json<Json>(),
    pluginVersions: p.json<Record<string, string>>(),
    notes: p.text().nullable(),
    publishedBy: p.text().nullable(),
    publishedAt: p.datetime(),
  },
});

export const TriggerEntity = defineEntity({
  name: "Trigger",
  tableName: "triggers",
  properties: {
    id: p.uuid().primary(),
    workflowId: p.uuid(),
    kind: p.text(),
    enabled: p.boolean().default(true),
    cron: p.text().nullable(),
    timezone: p.text().nullable(),
    eventName: p.text().nullable(),
    /** AES-256-GCM sealed webhook secret (see crypto.ts). */
    secretCiphertext: p.text().nullable(),
    config: p.json<Json>().nullable(),
    nextRunAt: p.datetime().nullable(),
    lastRunAt: p.datetime().nullable(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
});

export const RunEntity = defineEntity({
  name: "Run",
  tableName: "runs",
  properties: {
    id: p.uuid().primary(),
    workflowId: p.uuid(),
    workflowVersionId: p.uuid().nullable(),
    version: p.text().nullable(),
    status: p.text(),
    triggerId: p.uuid().nullable(),
    triggerKind: p.text(),
    input: p.json<Json>().nullable(),
    output: p.json<Json>().nullable(),
    error: p.json<Json>().nullable(),
    progress: p.json<Json>().nullable(),
    state: p.json<Json>().nullable(),
    correlationId: p.text().nullable(),
    traceId: p.text().nullable(),
    parentRunId: p.uuid().nullable(),
    parentNodeId: p.text().nullable(),
    workerId: p.text().nullable(),
    leaseUntil: p.datetime().nullable(),
    checkpoints: p.integer().default(0),
    createdAt: p.datetime(),
    startedAt: p.datetime().nullable(),
    finishedAt: p.datetime().nullable(),
    updatedAt: p.datetime(),
  },
});

export const StepEntity = defineEntity({
  name: "Step",
  tableName: "steps",
  properties: {
    id: p.uuid().primary(),
    runId: p.uuid(),
    nodeId: p.text(),
    nodeType: p.text(),
    attempt: p.integer(),
    status: p.text(),
    input: p.json<Json>().nullable(),
    config: p.json<Json>().nullable(),
    output: p.json<Json>().nullable(),
    outputTruncated: p.boolean().default(false),
    outputBytes: p.integer().nullable(),
    port: p.text().nullable(),
    errorCode: p.text().nullable(),
    errorMessage: p.text().nullable(),
    error: p.json<Json>().nullable(),
    logs: p.json<Json>().nullable(),
    startedAt: p.datetime().nullable(),
    finishedAt: p.datetime().nullable(),
    durationMs: p.integer().nullable(),
    workerId: p.text().nullable(),
    createdAt: p.datetime(),
  },
});

export const ApprovalEntity = defineEntity({
  name: "Approval",
  tableName: "approvals",
  properties: {
    id: p.uuid().primary(),
    runId: p.uuid(),
    nodeId: p.text(),
    title: p.text().nullable(),
    details: p.json<Json>().nullable(),
    approverRole: p.text().nullable(),
    approverUser: p.text().nullable(),
    status: p.text().default("pending"),
    expiresAt: p.datetime().nullable(),
    escalateToRole: p.text().nullable(),
    escalatedAt: p.datetime().nullable(),
    delegatedBy: p.text().nullable(),
    delegatedAt: p.datetime().nullable(),
    comment: p.text().nullable(),
    decidedBy: p.text().nullable(),
    decidedAt: p.datetime().nullable(),
    createdAt: p.datetime(),
  },
});

export const NotificationEntity = defineEntity({
  name: "Notification",
  tableName: "notifications",
  properties: {
    id: p.uuid().primary(),
    runId: p.uuid().nullable(),
    channel: p.text(),
    recipient: p.text(),
    subject: p.text().nullable(),
    body: p.text().nullable(),
    data: p.json<Json>().nullable(),
    status: p.text().default("pending"),
    error: p.text().nullable(),
    createdAt: p.datetime(),
    sentAt: p.datetime().nullable(),
    readAt: p.datetime().nullable(),
  },
});

export const AuditEventEntity = defineEntity({
  name: "AuditEvent",
  tableName: "audit_events",
  properties: {
    id: p.bigint("string").primary().autoincrement(),
    actor: p.text(),
    action: p.text(),
    targetType: p.text(),
    targetId: p.text().nullable(),
    before: p.json<Json>().nullable(),
    after: p.json<Json>().nullable(),
    at: p.datetime(),
  },
});

export const CredentialEntity = defineEntity({
  name: "Credential",
  tableName: "credentials",
  properties: {
    id: p.uuid().primary(),
    name: p.text().unique(),
    type: p.text(),
    /** `base64(iv).base64(tag).base64(ciphertext)` of the JSON values (see crypto.ts). */
    ciphertext: p.text(),
    keyId: p.text(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
});

export const ApiKeyEntity = defineEntity({
  name: "ApiKey",
  tableName: "api_keys",
  properties: {
    id: p.uuid().primary(),
    name: p.text(),
    role: p.text(),
    keyHash: p.text().unique(),
    prefix: p.text(),
    createdAt: p.datetime(),
    lastUsedAt: p.datetime().nullable(),
    revokedAt: p.datetime().nullable(),
  },
});

export const entities = [
  WorkflowEntity,
  WorkflowVersionEntity,
  TriggerEntity,
  RunEntity,
  StepEntity,
  ApprovalEntity,
  NotificationEntity,
  AuditEventEntity,
  CredentialEntity,
  ApiKeyEntity,
];

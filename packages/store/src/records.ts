// The store's row types: plain JSON-friendly objects. Times are ISO-8601 strings (UTC) everywhere,
// so a record can be returned by the API as is and compared with the kernel's RunState times.
import type { ErrorInfo, LogEntry, RunState, WorkflowDefinition } from "./kernel-types.ts";

/** A JSON value (the kernel's `Json`). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** An ISO-8601 timestamp string, e.g. `2026-01-31T12:00:00.000Z`. */
export type IsoTime = string;

/** Accepted wherever the store takes a time: a Date or an ISO-8601 string. */
export type TimeInput = Date | string;

/** A page of results and the total number of matching rows. */
export interface Page<T> {
  items: T[];
  total: number;
}

/** Pagination of list queries: `limit` defaults to 50 (max 500), `offset` to 0. */
export interface PageOptions {
  limit?: number;
  offset?: number;
}

export type WorkflowStatus = "draft" | "active" | "archived";

export interface WorkflowRecord {
  id: string;
  name: string;
  description: string | null;
  category: string | null;
  tags: string[];
  status: WorkflowStatus;
  owner: string | null;
  /** The semver of the newest published version, or null before the first publish. */
  latestVersion: string | null;
  /** The editable (draft) definition, or null when none was saved. Published versions are separate. */
  definition: WorkflowDefinition | null;
  createdAt: IsoTime;
  updatedAt: IsoTime;
}

/** A workflow as listed: without its (potentially large) draft definition. */
export type WorkflowSummary = Omit<WorkflowRecord, "definition">;

export interface WorkflowVersionRecord {
  id: string;
  workflowId: string;
  version: string;
  definition: WorkflowDefinition;
  /** Plugin package name → exact version the version was published against. */
  pluginVersions: Record<string, string>;
  notes: string | null;
  publishedBy: string | null;
  publishedAt: IsoTime;
}

export type TriggerKind = "manual" | "schedule" | "webhook" | "event";

export interface TriggerRecord {
  id: string;
  workflowId: string;
  kind: TriggerKind;
  enabled: boolean;
  cron: string | null;
  timezone: string | null;
  eventName: string | null;
  /** Whether a webhook secret is stored; the secret itself is only returned by `triggers.webhook()`. */
  hasSecret: boolean;
  config: Json;
  nextRunAt: IsoTime | null;
  lastRunAt: IsoTime | null;
  createdAt: IsoTime;
  updatedAt: IsoTime;
}

/** A run's lifecycle status: `queued` before a worker picks it up, then the kernel's `RunStatus`. */
export type RunRecordStatus = "queued" | "running" | "paused" | "waiting" | "succeeded" | "failed" | "cancelled";

/** Statuses after which a run never changes again. */
export const TERMINAL_RUN_STATUSES: readonly RunRecordStatus[] = ["succeeded", "failed", "cancelled"];
/** Statuses of runs still in flight (what blocks deleting a workflow). */
export const ACTIVE_RUN_STATUSES: readonly RunRecordStatus[] = ["queued", "running", "paused", "waiting"];

export interface RunRecord {
  id: string;
  workflowId: string;
  workflowVersionId: string | null;
  version: string | null;
  status: RunRecordStatus;
  triggerId: string | null;
  triggerKind: string;
  input: Json;
  output: Json;
  error: ErrorInfo | null;
  /** Free-form progress the runtime reports, e.g. `{ done: 3, total: 7 }`. */
  progress: Json;
  /** The kernel's last checkpointed run state, or null before the first checkpoint. */
  state: RunState | null;
  correlationId: string | null;
  traceId: string | null;
  parentRunId: string | null;
  parentNodeId: string | null;
  workerId: string | null;
  leaseUntil: IsoTime | null;
  /** Checkpoints written so far. */
  checkpoints: number;
  createdAt: IsoTime;
  startedAt: IsoTime | null;
  finishedAt: IsoTime | null;
  updatedAt: IsoTime;
}

export type StepStatus = "succeeded" | "failed" | "suspended" | "cancelled" | "skipped";

/** One node attempt. */
export interface StepRecord {
  id: string;
  runId: string;
  nodeId: string;
  nodeType: string;
  attempt: number;
  status: StepStatus;
  input: Json;
  config: Json;
  /** The output, or `{ truncated: true, bytes, preview }` when it exceeded `maxOutputBytes`. */
  output: Json;
  outputTruncated: boolean;
  /** Size of the original output as JSON text, in bytes. */
  outputBytes: number | null;
  port: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  error: ErrorInfo | null;
  logs: LogEntry[];
  startedAt: IsoTime | null;
  finishedAt: IsoTime | null;
  durationMs: number | null;
  workerId: string | null;
  createdAt: IsoTime;
}

export type ApprovalStatus = "pending" | "approved" | "rejected" | "expired";

export interface ApprovalRecord {
  id: string;
  runId: string;
  nodeId: string;
  title: string | null;
  details: Json;
  approverRole: string | null;
  approverUser: string | null;
  status: ApprovalStatus;
  expiresAt: IsoTime | null;
  escalateToRole: string | null;
  escalatedAt: IsoTime | null;
  delegatedBy: string | null;
  delegatedAt: IsoTime | null;
  comment: string | null;
  decidedBy: string | null;
  decidedAt: IsoTime | null;
  createdAt: IsoTime;
}

export type NotificationStatus = "pending" | "sent" | "failed" | "read";

export interface NotificationRecord {
  id: string;
  runId: string | null;
  channel: string;
  recipient: string;
  subject: string | null;
  body: string | null;
  data: Json;
  status: NotificationStatus;
  error: string | null;
  createdAt: IsoTime;
  sentAt: IsoTime | null;
  readAt: IsoTime | null;
}

export interface AuditEventRecord {
  /** Monotonic id (a bigint as a decimal string). */
  id: string;
  actor: string;
  action: string;
  targetType: string;
  targetId: string | null;
  before: Json;
  after: Json;
  at: IsoTime;
}

/** A credential as listed: never its values. */
export interface CredentialRecord {
  id: string;
  name: string;
  type: string;
  /** Which encryption key sealed the values (for rotation). */
  keyId: string;
  createdAt: IsoTime;
  updatedAt: IsoTime;
}

export type ApiKeyRole = "viewer" | "editor" | "operator" | "admin";

/** An API key as listed: never the key, only its first characters. */
export interface ApiKeyRecord {
  id: string;
  name: string;
  role: ApiKeyRole;
  /** The key's first characters, to recognise it in a list. */
  prefix: string;
  createdAt: IsoTime;
  lastUsedAt: IsoTime | null;
  revokedAt: IsoTime | null;
}

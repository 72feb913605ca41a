// @weft/store: PostgreSQL persistence for Weft. Everything users may touch is re-exported here.
export { keyIdOf, parseEncryptionKey } from "./crypto.ts";
export {
  type EmbeddedPostgresHandle,
  type EmbeddedPostgresOptions,
  freePort,
  startEmbeddedPostgres,
} from "./embedded.ts";
export {
  ConflictError,
  ConnectionError,
  DecryptError,
  EncryptionKeyError,
  NotFoundError,
  StoreError,
  StoreErrorCode,
  ValidationError,
} from "./errors.ts";
export * from "./records.ts";
export type { ApiKeyRepository } from "./repositories/api-keys.ts";
export type {
  ApprovalRepository,
  CreateApprovalInput,
  DecisionInput,
  DelegationInput,
} from "./repositories/approvals.ts";
export type { AuditFilter, AuditInput, AuditRepository } from "./repositories/audit.ts";
export type { CreateCredentialInput, CredentialRepository } from "./repositories/credentials.ts";
export type {
  CreateNotificationInput,
  NotificationFilter,
  NotificationRepository,
} from "./repositories/notifications.ts";
export type { CheckpointInput, StepInput } from "./repositories/run-checkpoint.ts";
export type { CreateRunInput } from "./repositories/run-create.ts";
export type { RunSummary } from "./repositories/run-rows.ts";
export type { MarkStatusOptions, RunFilter, RunRepository } from "./repositories/runs.ts";
export { findNul } from "./repositories/shared.ts";
export type { CreateTriggerInput, TriggerRepository, UpdateTriggerInput } from "./repositories/triggers.ts";
export type {
  CreateWorkflowInput,
  PublishInput,
  UpdateWorkflowInput,
  WorkflowFilter,
  WorkflowRepository,
} from "./repositories/workflows.ts";
export {
  DEFAULT_MAX_OUTPUT_BYTES,
  migrate,
  openStore,
  type PruneRunsOptions,
  pruneRuns,
  type Store,
  type StoreOptions,
} from "./store.ts";

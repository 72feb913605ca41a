// The kernel contracts the store persists (type-only; erased at run time).
export type { ErrorInfo, LogEntry, RunState, WorkflowDefinition } from "@weft/kernel";

// The kernel contracts the store persists (type-only; erased at run time). Imported from the
// contracts file because @weft/kernel's entry point does not re-export them yet.
export type { ErrorInfo, LogEntry, RunState, WorkflowDefinition } from "../../kernel/src/contracts.ts";

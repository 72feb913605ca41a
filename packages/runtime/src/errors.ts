// Typed errors of @weft/runtime, each with a stable WEFT_E_* code (documented in docs/errors.md).
import { type Json, WeftError } from "@weft/kernel";

/** The runtime's error codes and the HTTP status the API maps each to. */
export const RUNTIME_ERROR_CODES = {
  WEFT_E_RUN_NOT_FOUND: 404,
  WEFT_E_RUN_NOT_WAITING: 409,
  WEFT_E_RUN_NOT_ACTIVE: 409,
  WEFT_E_WORKFLOW_NOT_PUBLISHED: 409,
  /** The kernel's code, raised with the same meaning when startRun refuses a definition. */
  WEFT_E_INVALID_WORKFLOW: 422,
  WEFT_E_RUNTIME_STOPPED: 503,
  WEFT_E_RUNTIME_CONFIG: 500,
  WEFT_E_RUN_WAIT_TIMEOUT: 504,
  WEFT_E_LEASE_LOST: 409,
  WEFT_E_QUEUE_FULL: 503,
  // The worker's health server answers with the API's codes for the same situations.
  WEFT_E_ROUTE_NOT_FOUND: 404,
  WEFT_E_METHOD_NOT_ALLOWED: 405,
  WEFT_E_INTERNAL: 500,
} as const;

export type RuntimeErrorCode = keyof typeof RUNTIME_ERROR_CODES;

/** An error raised by the runtime: a `WeftError` with a stable code, its HTTP status and structured details. */
export class RuntimeError extends WeftError {
  declare readonly code: RuntimeErrorCode;
  readonly status: number;

  constructor(
    code: RuntimeErrorCode,
    message: string,
    details?: { [key: string]: Json },
    options?: { cause?: unknown },
  ) {
    super(code, message, {
      retryable: code === "WEFT_E_RUNTIME_STOPPED" || code === "WEFT_E_QUEUE_FULL",
      ...(details ? { details } : {}),
      ...(options?.cause !== undefined ? { cause: options.cause } : {}),
    });
    this.name = "RuntimeError";
    this.status = RUNTIME_ERROR_CODES[code];
  }
}

/** The run does not exist. */
export class RunNotFoundError extends RuntimeError {
  constructor(runId: string) {
    super("WEFT_E_RUN_NOT_FOUND", `run ${runId} does not exist`, { runId });
    this.name = "RunNotFoundError";
  }
}

/** A resume was asked for a node that is not waiting. */
export class RunNotWaitingError extends RuntimeError {
  constructor(runId: string, nodeId: string, status: string) {
    super("WEFT_E_RUN_NOT_WAITING", `run ${runId} is not waiting on node ${nodeId} (node status: ${status})`, {
      runId,
      nodeId,
      status,
    });
    this.name = "RunNotWaitingError";
  }
}

/** Pause/unpause/cancel asked of a run in a state that does not allow it. */
export class RunNotActiveError extends RuntimeError {
  constructor(runId: string, status: string, action: string) {
    super("WEFT_E_RUN_NOT_ACTIVE", `cannot ${action} run ${runId}: it is ${status}`, { runId, status, action });
    this.name = "RunNotActiveError";
  }
}

/** Another worker took the run over (its lease expired here); this process must stop writing. */
export class LeaseLostError extends RuntimeError {
  constructor(runId: string, workerId: string) {
    super("WEFT_E_LEASE_LOST", `worker ${workerId} lost the lease of run ${runId}`, { runId, workerId });
    this.name = "LeaseLostError";
  }
}

// The kernel's error registry and its one error class. Codes are the stable contract (the API maps
// them to HTTP statuses, the scheduler decides retries from `retryable`); messages may change.
import type { ErrorInfo, Json } from "./contracts.ts";

/** One entry of an error registry: default message, HTTP status at the API edge, retry default. */
export interface ErrorCodeSpec {
  message: string;
  status: number;
  retryable: boolean;
}

/**
 * Every `WEFT_E_*` code the kernel raises, with its default message, HTTP status and whether an
 * attempt failing with it is retried by default. Each code is documented in `docs/errors.md`.
 */
export const KERNEL_ERRORS = {
  WEFT_E_TIMEOUT: { message: "The node attempt exceeded its timeout", status: 504, retryable: true },
  WEFT_E_CANCELLED: { message: "The run was cancelled", status: 409, retryable: false },
  WEFT_E_CONFIG_INVALID: { message: "The node's config does not match its schema", status: 422, retryable: false },
  WEFT_E_OUTPUT_INVALID: {
    message: "The node produced an output that does not match its schema",
    status: 500,
    retryable: false,
  },
  WEFT_E_NODE_FAILED: { message: "The node failed", status: 500, retryable: false },
  WEFT_E_NODE_THREW: { message: "The node threw a value that is not an Error", status: 500, retryable: false },
  WEFT_E_EXPRESSION: { message: "An expression could not be evaluated", status: 422, retryable: false },
  WEFT_E_UNKNOWN_NODE_TYPE: { message: "No installed plugin provides this node type", status: 422, retryable: false },
  WEFT_E_NODE_VERSION: {
    message: "The node type is not installed at the requested major version",
    status: 422,
    retryable: false,
  },
  WEFT_E_DUPLICATE_NODE_TYPE: {
    message: "A strategy is already registered for this node type and major version",
    status: 409,
    retryable: false,
  },
  WEFT_E_CREDENTIAL_MISSING: {
    message: "The credential the node needs is not available",
    status: 422,
    retryable: false,
  },
  WEFT_E_SERVICE_MISSING: {
    message: "No run-scoped service is registered under this token",
    status: 500,
    retryable: false,
  },
  WEFT_E_INVALID_WORKFLOW: { message: "The workflow definition is not valid", status: 422, retryable: false },
  WEFT_E_INVALID_DEFINITION: {
    message: "The workflow definition does not have the expected shape",
    status: 400,
    retryable: false,
  },
  WEFT_E_DUPLICATE_ID: { message: "Two nodes or two edges share an id", status: 422, retryable: false },
  WEFT_E_DANGLING_EDGE: { message: "An edge refers to a node that does not exist", status: 422, retryable: false },
  WEFT_E_UNKNOWN_PORT: {
    message: "An edge leaves a port its source node does not have",
    status: 422,
    retryable: false,
  },
  WEFT_E_CYCLE: { message: "The workflow graph has a cycle", status: 422, retryable: false },
  WEFT_E_NO_TRIGGER: { message: "The workflow has no trigger node", status: 422, retryable: false },
  WEFT_E_UNREACHABLE: { message: "A node cannot be reached from any trigger node", status: 422, retryable: false },
  WEFT_E_INVALID_EXPRESSION: { message: "An expression does not compile", status: 422, retryable: false },
  WEFT_E_INVALID_RESUME: { message: "The node cannot be resumed", status: 409, retryable: false },
  WEFT_E_UNKNOWN_TRIGGER: {
    message: "The run names a trigger node the workflow does not have",
    status: 422,
    retryable: false,
  },
  WEFT_E_INVALID_RUN_STATE: {
    message: "The run state is not one this kernel can continue",
    status: 422,
    retryable: false,
  },
  WEFT_E_INTERNAL: { message: "Internal kernel error", status: 500, retryable: false },
} as const satisfies Record<string, ErrorCodeSpec>;

/** A code of the kernel's registry. */
export type KernelErrorCode = keyof typeof KERNEL_ERRORS;

/** Every code of {@link KERNEL_ERRORS}, in registry order. */
export const errorCodes: readonly KernelErrorCode[] = Object.keys(KERNEL_ERRORS) as KernelErrorCode[];

/** Facts an error can carry besides code and message. */
export interface WeftErrorOptions {
  /** Defaults to the registry's value for the code (false for codes outside the registry). */
  retryable?: boolean;
  details?: Json;
  plugin?: string;
  nodeId?: string;
  runId?: string;
  retryAfterMs?: number;
  cause?: unknown;
}

/** Context `WeftError.from` fills in when wrapping a foreign value. */
export interface WeftErrorDefaults {
  /** Code for foreign `Error`s (default `WEFT_E_NODE_FAILED`). */
  code?: string;
  retryable?: boolean;
  plugin?: string;
  nodeId?: string;
  runId?: string;
}

function specOf(code: string): ErrorCodeSpec | undefined {
  return (KERNEL_ERRORS as Record<string, ErrorCodeSpec>)[code];
}

/**
 * The error every part of Weft throws and records: a stable `code`, whether retrying may help, and
 * where it happened (plugin, node, run). Foreign errors are wrapped with {@link WeftError.from}, which
 * keeps the original as `cause`, so the scheduler never has to guess from a message.
 */
export class WeftError extends Error {
  /** A `WEFT_E_*` code (or a plugin's own code). */
  readonly code: string;
  /** Whether a new attempt may succeed; the scheduler retries only these. */
  readonly retryable: boolean;
  readonly details?: Json;
  plugin?: string;
  nodeId?: string;
  runId?: string;
  readonly retryAfterMs?: number;

  constructor(code: string, message?: string, options: WeftErrorOptions = {}) {
    super(message ?? specOf(code)?.message ?? code, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "WeftError";
    this.code = code;
    this.retryable = options.retryable ?? specOf(code)?.retryable ?? false;
    if (options.details !== undefined) this.details = options.details;
    if (options.plugin !== undefined) this.plugin = options.plugin;
    if (options.nodeId !== undefined) this.nodeId = options.nodeId;
    if (options.runId !== undefined) this.runId = options.runId;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }

  /** The serialisable form recorded on step records and run state (the cause chain included). */
  toJSON(): ErrorInfo {
    const info: ErrorInfo = { code: this.code, message: this.message, retryable: this.retryable };
    if (this.details !== undefined) info.details = this.details;
    if (this.plugin !== undefined) info.plugin = this.plugin;
    if (this.nodeId !== undefined) info.nodeId = this.nodeId;
    if (this.runId !== undefined) info.runId = this.runId;
    if (this.retryAfterMs !== undefined) info.retryAfterMs = this.retryAfterMs;
    const cause = causeInfo(this.cause);
    if (cause !== undefined) info.cause = cause;
    return info;
  }

  /**
   * Turns anything thrown into a `WeftError`. A `WeftError` is returned as is, with missing
   * plugin/node/run filled from `defaults`; a foreign `Error` becomes `defaults.code`
   * (`WEFT_E_NODE_FAILED`) keeping it as `cause`; any other value becomes `WEFT_E_NODE_THREW`.
   */
  static from(error: unknown, defaults: WeftErrorDefaults = {}): WeftError {
    if (error instanceof WeftError) {
      if (error.plugin === undefined && defaults.plugin !== undefined) error.plugin = defaults.plugin;
      if (error.nodeId === undefined && defaults.nodeId !== undefined) error.nodeId = defaults.nodeId;
      if (error.runId === undefined && defaults.runId !== undefined) error.runId = defaults.runId;
      return error;
    }
    const context = { plugin: defaults.plugin, nodeId: defaults.nodeId, runId: defaults.runId };
    if (error instanceof Error) {
      return new WeftError(defaults.code ?? "WEFT_E_NODE_FAILED", error.message || error.name, {
        ...context,
        retryable: defaults.retryable,
        cause: error,
      });
    }
    return new WeftError("WEFT_E_NODE_THREW", `The node threw ${describeThrown(error)}`, {
      ...context,
      retryable: defaults.retryable,
      cause: error,
    });
  }

  /** Rebuilds an error from its recorded form (e.g. a step record read back from the store). */
  static fromInfo(info: ErrorInfo): WeftError {
    return new WeftError(info.code, info.message, {
      retryable: info.retryable,
      details: info.details,
      plugin: info.plugin,
      nodeId: info.nodeId,
      runId: info.runId,
      retryAfterMs: info.retryAfterMs,
      cause: info.cause === undefined ? undefined : WeftError.fromInfo(info.cause),
    });
  }
}

function causeInfo(cause: unknown): ErrorInfo | undefined {
  if (cause === undefined) return undefined;
  if (cause instanceof WeftError) return cause.toJSON();
  if (cause instanceof Error) return { code: cause.name || "Error", message: cause.message, retryable: false };
  return undefined;
}

function describeThrown(value: unknown): string {
  if (typeof value === "string") return `a string: ${value}`;
  try {
    return `${typeof value}: ${JSON.stringify(value) ?? String(value)}`;
  } catch {
    return typeof value;
  }
}

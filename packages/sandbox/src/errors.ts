// The sandbox's error registry. Codes are the stable contract: the runtime records them on the step and
// the kernel decides retries from `retryable` — a sandbox limit never gets better on retry, a script
// that threw might (it may depend on upstream data or on a host call).

import type { Json, LogEntry } from "@weft/kernel";
import { WeftError } from "@weft/kernel";

/** One entry of the sandbox's error registry. */
export interface SandboxErrorSpec {
  message: string;
  /** HTTP status when the error reaches the API edge. */
  status: number;
  retryable: boolean;
}

/** Every `WEFT_E_*` code `@weft/sandbox` raises; each is documented in `docs/errors.md`. */
export const SANDBOX_ERRORS = {
  WEFT_E_SANDBOX_MEMORY: { message: "The script exceeded its memory limit", status: 422, retryable: false },
  WEFT_E_SANDBOX_TIMEOUT: { message: "The script exceeded its wall-time limit", status: 422, retryable: false },
  WEFT_E_SANDBOX_CPU: { message: "The script exceeded its CPU-time limit", status: 422, retryable: false },
  WEFT_E_SANDBOX_OUTPUT: {
    message: "The script's result is not a JSON value within the size limit",
    status: 422,
    retryable: false,
  },
  WEFT_E_SANDBOX_INPUT: {
    message: "The values passed into the sandbox cannot be copied in",
    status: 422,
    retryable: false,
  },
  WEFT_E_SANDBOX_LIMIT_INVALID: { message: "A sandbox limit is not a positive number", status: 422, retryable: false },
  WEFT_E_SANDBOX_CANCELLED: { message: "The script run was cancelled", status: 409, retryable: false },
  WEFT_E_SCRIPT_SYNTAX: { message: "The script does not compile", status: 422, retryable: false },
  WEFT_E_SCRIPT_ERROR: { message: "The script threw an error", status: 422, retryable: true },
} as const satisfies Record<string, SandboxErrorSpec>;

/** A code of the sandbox's registry. */
export type SandboxErrorCode = keyof typeof SANDBOX_ERRORS;

/** The codes of sandbox limits: the run was stopped from outside, the script did not fail on its own. */
export const SANDBOX_LIMIT_CODES: readonly SandboxErrorCode[] = [
  "WEFT_E_SANDBOX_MEMORY",
  "WEFT_E_SANDBOX_TIMEOUT",
  "WEFT_E_SANDBOX_CPU",
  "WEFT_E_SANDBOX_OUTPUT",
];

/**
 * Why a sandboxed run failed. `code` says which limit or failure; `details` carries the facts (the
 * limit that was hit, the script's error name and stack lines of the script only).
 */
export class SandboxError extends WeftError {
  declare readonly code: SandboxErrorCode;
  /** What the script wrote to `console` before it failed (kept on the step, not in `toJSON()`). */
  readonly logs: LogEntry[];

  constructor(
    code: SandboxErrorCode,
    message?: string,
    options: { details?: Json; cause?: unknown; logs?: LogEntry[] } = {},
  ) {
    super(code, message ?? SANDBOX_ERRORS[code].message, {
      retryable: SANDBOX_ERRORS[code].retryable,
      ...(options.details === undefined ? {} : { details: options.details }),
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    });
    this.name = "SandboxError";
    this.logs = options.logs ?? [];
  }

  /** True when the run was stopped by a sandbox limit (memory, time, CPU, output). */
  get isLimit(): boolean {
    return SANDBOX_LIMIT_CODES.includes(this.code);
  }
}

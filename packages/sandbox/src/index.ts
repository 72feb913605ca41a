import pkg from "../package.json" with { type: "json" };

/** The version of @weft/sandbox that is running. */
export const VERSION: string = pkg.version;

export {
  SANDBOX_ERRORS,
  SANDBOX_LIMIT_CODES,
  SandboxError,
  type SandboxErrorCode,
  type SandboxErrorSpec,
} from "./errors.ts";
export { DEFAULT_LIMITS, DEFAULT_MAX_LIMITS, type SandboxLimits } from "./limits.ts";
export { SandboxPool, type SandboxPoolOptions, type SandboxPoolStats, type SandboxRunOptions } from "./pool.ts";
export type { HostFunction, SandboxResult } from "./script-run.ts";

/**
 * The service token under which the runtime registers its {@link SandboxPool} (`ctx.services.get(SANDBOX_POOL)`).
 * A string, so every copy of this package in a process names the same service.
 */
export const SANDBOX_POOL = "@weft/sandbox:SandboxPool";

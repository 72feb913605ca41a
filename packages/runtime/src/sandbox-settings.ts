// The operator's limits of the script sandbox, from the environment (docs/operations.md). A node's
// requested `timeoutMs` / `memoryMb` are clamped to these maxima by the pool.
import type { SandboxPoolOptions } from "@weft/sandbox";
import { intSetting } from "./env.ts";

/**
 * The sandbox pool's options from WEFT_SANDBOX_POOL_SIZE (isolates at once; default the CPU count),
 * WEFT_SANDBOX_MAX_MEMORY_MB (heap maximum per script, >= 8) and WEFT_SANDBOX_MAX_TIMEOUT_MS (wall-time
 * maximum per script). Throws WEFT_E_RUNTIME_CONFIG naming the variable when one is not valid.
 */
export function sandboxOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): SandboxPoolOptions {
  const size = intSetting(env, "WEFT_SANDBOX_POOL_SIZE", undefined, 1);
  const memoryMb = intSetting(env, "WEFT_SANDBOX_MAX_MEMORY_MB", undefined, 8);
  const timeoutMs = intSetting(env, "WEFT_SANDBOX_MAX_TIMEOUT_MS", undefined, 1);
  const maxLimits: NonNullable<SandboxPoolOptions["maxLimits"]> = {};
  if (memoryMb !== undefined) maxLimits.memoryMb = memoryMb;
  if (timeoutMs !== undefined) maxLimits.timeoutMs = timeoutMs;
  return {
    ...(size !== undefined ? { size } : {}),
    ...(Object.keys(maxLimits).length > 0 ? { maxLimits } : {}),
  };
}

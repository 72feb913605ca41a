// Limits of one script run, and how requested limits are bounded by the operator's maxima.
import { SandboxError } from "./errors.ts";

/** The limits one script run is held to. */
export interface SandboxLimits {
  /** Heap of the isolate the run uses, in MiB (isolated-vm's minimum is 8). */
  memoryMb: number;
  /** Wall time of the run, awaits included, in milliseconds. */
  timeoutMs: number;
  /** CPU time the run may spend, in milliseconds. */
  cpuTimeMs: number;
  /** Size of the result as UTF-8 JSON, in bytes. */
  maxOutputBytes: number;
  /** Console entries kept; later ones are dropped and a marker entry says how many. */
  maxLogEntries: number;
  /** Total size of the kept console messages, in bytes. */
  maxLogBytes: number;
}

/** Limits a run gets when it asks for none. */
export const DEFAULT_LIMITS: Readonly<SandboxLimits> = Object.freeze({
  memoryMb: 64,
  timeoutMs: 10_000,
  cpuTimeMs: 5_000,
  maxOutputBytes: 4 * 1024 * 1024,
  maxLogEntries: 1_000,
  maxLogBytes: 256 * 1024,
});

/** The operator maxima when none are configured. */
export const DEFAULT_MAX_LIMITS: Readonly<SandboxLimits> = Object.freeze({
  memoryMb: 512,
  timeoutMs: 60_000,
  cpuTimeMs: 60_000,
  maxOutputBytes: 64 * 1024 * 1024,
  maxLogEntries: 10_000,
  maxLogBytes: 4 * 1024 * 1024,
});

const MINIMUM: Readonly<SandboxLimits> = {
  memoryMb: 8,
  timeoutMs: 1,
  cpuTimeMs: 1,
  maxOutputBytes: 16,
  maxLogEntries: 0,
  maxLogBytes: 0,
};

const KEYS = Object.keys(DEFAULT_LIMITS) as (keyof SandboxLimits)[];

function checked(where: string, limits: Partial<SandboxLimits> | undefined): Partial<SandboxLimits> {
  const out: Partial<SandboxLimits> = {};
  if (limits === undefined) return out;
  for (const key of KEYS) {
    const value = limits[key];
    if (value === undefined) continue;
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      throw new SandboxError(
        "WEFT_E_SANDBOX_LIMIT_INVALID",
        `${where}.${key} must be a finite number >= 0, got ${String(value)}`,
        {
          details: { limit: key, where },
        },
      );
    }
    out[key] = value;
  }
  return out;
}

/** Fills in and validates the pool's defaults and maxima (defaults are themselves clamped to the maxima). */
export function poolLimits(
  defaults: Partial<SandboxLimits> | undefined,
  maxima: Partial<SandboxLimits> | undefined,
): { defaults: SandboxLimits; maxima: SandboxLimits } {
  const max = { ...DEFAULT_MAX_LIMITS, ...checked("maxLimits", maxima) };
  const def = clampLimits({ ...DEFAULT_LIMITS, ...checked("defaultLimits", defaults) }, max);
  return { defaults: def, maxima: max };
}

/** Clamps every limit into [minimum, maximum]; memory is a whole number of MiB. */
export function clampLimits(limits: SandboxLimits, maxima: SandboxLimits): SandboxLimits {
  const out = { ...limits };
  for (const key of KEYS) out[key] = Math.max(MINIMUM[key], Math.min(limits[key], maxima[key]));
  out.memoryMb = Math.ceil(out.memoryMb);
  return out;
}

/** The limits of one run: the request over the defaults, clamped to the maxima. */
export function runLimits(
  requested: Partial<SandboxLimits> | undefined,
  defaults: SandboxLimits,
  maxima: SandboxLimits,
): SandboxLimits {
  return clampLimits({ ...defaults, ...checked("limits", requested) }, maxima);
}

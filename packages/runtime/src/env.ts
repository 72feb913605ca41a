// Integer settings from the environment, checked the same way in every process (docs/operations.md).
import { RuntimeError } from "./errors.ts";

/**
 * The integer in `env[name]`, or `fallback` when it is unset or blank. Anything else than an integer
 * `>= minimum` throws WEFT_E_RUNTIME_CONFIG naming the variable, so a typo stops the process at start
 * instead of turning into NaN timeouts later.
 */
export function intSetting<F extends number | undefined>(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: F,
  minimum = 0,
): number | F {
  const text = env[name];
  if (text === undefined || text.trim() === "") return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < minimum)
    throw new RuntimeError("WEFT_E_RUNTIME_CONFIG", `${name} must be an integer >= ${minimum}, got "${text}"`, {
      variable: name,
      value: text,
    });
  return value;
}

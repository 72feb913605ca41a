// Errors of the plugin loader. Each names the package and the versions involved, because the person
// reading it has to decide which package to upgrade, remove or fix.

import type { Json } from "@weft/kernel";
import { WeftError } from "@weft/kernel";

/** The loader's `WEFT_E_*` codes. */
export const LoaderErrorCode = {
  /** The plugin's `weft.engine` range does not include the running @weft/kernel (or is not a range). */
  Engine: "WEFT_E_PLUGIN_ENGINE",
  /** Two plugins (or two versions of one) provide the same package, node type or credential type. */
  Duplicate: "WEFT_E_PLUGIN_DUPLICATE",
  /** The package is not a Weft plugin: no `weft` field, no `definePlugin` default export, or names that disagree. */
  Invalid: "WEFT_E_PLUGIN_INVALID",
  /** A configured plugin package cannot be resolved from the given directories. */
  NotFound: "WEFT_E_PLUGIN_NOT_FOUND",
} as const;

/** A code of {@link LoaderErrorCode}. */
export type LoaderErrorCodeName = (typeof LoaderErrorCode)[keyof typeof LoaderErrorCode];

/** An error raised while loading plugins; `details.package` names the package. */
export class PluginLoadError extends WeftError {
  constructor(code: LoaderErrorCodeName, message: string, details: { [key: string]: Json }, cause?: unknown) {
    super(code, message, { retryable: false, details, ...(cause !== undefined ? { cause } : {}) });
    this.name = "PluginLoadError";
  }
}

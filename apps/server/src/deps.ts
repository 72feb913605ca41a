// What the server is built over: the store, the runtime and the plugin catalog, as their packages
// define them. Tests and `weft start` pass the real objects.
import type { PluginCatalog, Runtime } from "@weft/runtime";
import type { Store } from "@weft/store";

export type ServerStore = Store;
export type ServerRuntime = Pick<
  Runtime,
  "startRun" | "resumeRun" | "cancelRun" | "pauseRun" | "unpauseRun" | "subscribe" | "metrics" | "problems"
>;
export type ServerCatalog = PluginCatalog;

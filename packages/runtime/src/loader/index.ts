// The plugin loader: discovery, engine-range checks, registration, and the node-type catalog.
export type { CredentialTypeInfo, LoadedPlugin, NodeTypeInfo, PluginCatalog } from "./catalog.ts";
export {
  firstPartyPlugins,
  type PluginEnvironmentOptions,
  pluginNamesFromEnvironment,
  pluginsFromEnvironment,
} from "./environment.ts";
export type { LoaderErrorCodeName } from "./errors.ts";
export { LoaderErrorCode, PluginLoadError } from "./errors.ts";
export type { LoadPluginsOptions } from "./load.ts";
export { defaultPlugins, loadPlugins } from "./load.ts";

// Node types every installation has, whatever plugins are loaded.
import type { Json, NodeStrategy, NodeTypeDescriptor } from "./contracts.ts";
import type { StrategyRegistry } from "./registry.ts";

/** The built-in manual start node's type. */
export const MANUAL_TRIGGER = "trigger.manual";

/** `trigger.manual`: a start node whose output is the run input. */
export const manualTriggerDescriptor: NodeTypeDescriptor = {
  type: MANUAL_TRIGGER,
  version: 1,
  category: "trigger",
  ports: ["default"],
};

/** The manual trigger's behaviour: hand the run input to the nodes after it. */
export const manualTriggerStrategy: NodeStrategy<unknown, undefined, Json> = {
  execute: (ctx) => ctx.input,
};

/** Registers the built-in node types (`trigger.manual`@1). The registry constructor calls it by default. */
export function registerBuiltins(registry: StrategyRegistry): void {
  registry.register(manualTriggerDescriptor, manualTriggerStrategy);
}

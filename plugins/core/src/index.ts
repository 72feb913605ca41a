// @weft/plugin-core: the control, transform and trigger nodes every installation needs.

import { definePlugin } from "@weft/sdk";
import pkg from "../package.json" with { type: "json" };
import { filter, ifCondition, map, noop } from "./transforms.ts";
import { scheduleTrigger, webhookTrigger } from "./triggers.ts";
import { approvalRequest, delay } from "./waits.ts";

export { CoreErrorCode } from "./errors.ts";
export { filter, ifCondition, map, noop } from "./transforms.ts";
export { nextFire, scheduleConfig, scheduleTrigger, webhookEnvelope, webhookTrigger } from "./triggers.ts";
export { approvalRequest, delay } from "./waits.ts";

export default definePlugin({
  name: pkg.name,
  version: pkg.version,
  engine: pkg.weft.engine,
  description: pkg.description,
  nodes: [webhookTrigger, scheduleTrigger, delay, approvalRequest, filter, map, ifCondition, noop],
});

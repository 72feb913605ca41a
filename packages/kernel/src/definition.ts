// The workflow definition format as a zod schema: what files, the API and the designer exchange.
// Objects are loose so React Flow's own fields (width, selected, ...) survive a round trip.
import { z } from "zod";

/** A node's retry policy (`data.retry`). */
export const retryPolicySchema = z.object({
  maxAttempts: z.number().int().min(1).max(100),
  backoff: z.enum(["fixed", "exponential"]),
  delayMs: z.number().int().min(0),
  maxDelayMs: z.number().int().min(0).optional(),
  jitter: z.union([z.boolean(), z.number().min(0).max(1)]).optional(),
});

/** A node's `data`. */
export const nodeDataSchema = z.looseObject({
  label: z.string().optional(),
  config: z.record(z.string(), z.unknown()).optional(),
  retry: retryPolicySchema.optional(),
  timeoutMs: z.number().int().positive().optional(),
  onError: z.enum(["fail", "continue", "route"]).optional(),
  join: z.enum(["all", "any"]).optional(),
  credential: z.string().min(1).optional(),
});

/** One node: React Flow shape plus the plugin major `version`. */
export const workflowNodeSchema = z.looseObject({
  id: z.string().min(1),
  type: z.string().min(1),
  version: z.number().int().min(0).optional(),
  position: z.looseObject({ x: z.number(), y: z.number() }).optional(),
  data: nodeDataSchema,
});

/** One edge; `sourceHandle` is the output port (`default` when absent). */
export const workflowEdgeSchema = z.looseObject({
  id: z.string().min(1),
  source: z.string().min(1),
  target: z.string().min(1),
  sourceHandle: z.string().nullable().optional(),
  targetHandle: z.string().nullable().optional(),
  data: z.looseObject({ condition: z.string().optional() }).optional(),
});

const jsonSchema: z.ZodType<unknown> = z.json();

/**
 * A whole workflow definition (`{ name, nodes, edges, vars?, settings? }`). Parsing with it gives
 * structured issues (path + message); `validate` adds the graph checks a schema cannot express.
 */
export const workflowDefinitionSchema = z.looseObject({
  name: z.string().min(1),
  description: z.string().optional(),
  nodes: z.array(workflowNodeSchema),
  edges: z.array(workflowEdgeSchema),
  vars: z.record(z.string(), jsonSchema).optional(),
  settings: z
    .looseObject({
      concurrency: z.number().int().min(1).optional(),
    })
    .optional(),
});

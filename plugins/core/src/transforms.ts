// Nodes that reshape data with JSONata (never eval): filter an array, compute a value, branch.
import type { Json } from "@weft/sdk";
import { defineNode, emit, evaluate, NodeError } from "@weft/sdk";
import { z } from "zod";
import { CoreErrorCode } from "./errors.ts";

const expression = (title: string, description: string) =>
  z.string().min(1).meta({ title, description, widget: "code" });

/** `transform.filter`: keeps the items of an array for which a JSONata predicate holds. */
export const filter = defineNode({
  type: "transform.filter",
  version: 1,
  category: "transform",
  title: "Filter",
  description: "Keeps the items of an array for which a JSONata expression is true; outputs them and their count.",
  icon: "filter",
  config: z.object({
    items: z.array(z.json()).meta({
      title: "Items",
      description: "An array, usually a template: {{ $nodes.scan.output.findings }}.",
      widget: "expression",
    }),
    expression: expression(
      "Keep when",
      'Evaluated per item (the item is `$`; $input, $nodes are visible), e.g. severity = "critical".',
    ),
  }),
  output: z.object({ items: z.array(z.json()), count: z.int() }),
  examples: [
    {
      name: "critical findings only",
      config: {
        items: [
          { id: 1, severity: "critical" },
          { id: 2, severity: "low" },
        ],
        expression: 'severity = "critical"',
      },
      expect: { output: { items: [{ id: 1, severity: "critical" }], count: 1 } },
    },
  ],
  strategy: {
    async execute(ctx) {
      const kept: Json[] = [];
      for (const item of ctx.config.items)
        if ((await evaluate(ctx, ctx.config.expression, item)) === true) kept.push(item);
      return { items: kept, count: kept.length };
    },
  },
});

/** `transform.map`: outputs the value of a JSONata expression. */
export const map = defineNode({
  type: "transform.map",
  version: 1,
  category: "transform",
  title: "Map",
  description: "Outputs the value of a JSONata expression over the run input and upstream outputs.",
  icon: "shuffle",
  config: z.object({
    expression: expression(
      "Expression",
      "JSONata; sees $input (also `$`), $nodes.<id>.output and $run, e.g. $nodes.scan.output.findings.{ 'host': asset }.",
    ),
  }),
  output: z.json(),
  examples: [
    {
      name: "hostnames of the input",
      config: { expression: "assets.hostname" },
      input: { assets: [{ hostname: "web-01" }, { hostname: "db-01" }] },
      expect: { output: ["web-01", "db-01"] },
    },
  ],
  strategy: {
    async execute(ctx) {
      const value = await evaluate(ctx, ctx.config.expression);
      // JSONata yields undefined for "no match"; a node output must be JSON.
      return (value === undefined ? null : value) as Json;
    },
  },
});

/** `condition.if`: leaves on port "true" or "false". */
export const ifCondition = defineNode({
  type: "condition.if",
  version: 1,
  category: "condition",
  title: "If",
  description:
    'Routes the run: port "true" when the condition holds, else "false". The condition is a boolean template ({{ … }}) or a JSONata expression.',
  icon: "git-branch",
  config: z.object({
    condition: z
      .union([z.boolean(), z.string().min(1)])
      .meta({ title: "Condition", description: "e.g. {{ $nodes.filter.output.count > 0 }}", widget: "expression" }),
  }),
  output: z.object({ result: z.boolean() }),
  ports: ["true", "false"],
  examples: [
    {
      name: "a boolean template",
      config: { condition: "{{ 2 > 1 }}" },
      expect: { port: "true", output: { result: true } },
    },
    {
      name: "an expression over the input",
      config: { condition: 'severity = "critical"' },
      input: { severity: "low" },
      expect: { port: "false", output: { result: false } },
    },
  ],
  strategy: {
    async execute(ctx) {
      const { condition } = ctx.config;
      const value = typeof condition === "boolean" ? condition : await evaluate(ctx, condition);
      if (typeof value !== "boolean")
        throw new NodeError(
          CoreErrorCode.ConditionNotBoolean,
          `condition.if: the condition evaluated to ${JSON.stringify(value) ?? "nothing"}, not true or false`,
          {
            details: { value: (value ?? null) as Json },
          },
        );
      return emit(String(value), { result: value });
    },
  },
});

/** `control.noop`: passes a value (or its upstream outputs) on unchanged. */
export const noop = defineNode({
  type: "control.noop",
  version: 1,
  category: "control",
  title: "No-op",
  description: "Does nothing: outputs `value` when set, else the upstream outputs by node id. Useful to join branches.",
  icon: "circle",
  config: z.object({ value: z.json().optional().meta({ title: "Value", widget: "code" }) }),
  output: z.json(),
  examples: [{ name: "a constant", config: { value: { ok: true } }, expect: { output: { ok: true } } }],
  strategy: {
    execute(ctx) {
      return ctx.config.value !== undefined ? ctx.config.value : ({ ...ctx.inputs } as Json);
    },
  },
});

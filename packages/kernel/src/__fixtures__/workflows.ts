// Small node types and definition builders shared by the kernel's tests.
import type { Json, NodeStrategy, NodeTypeDescriptor, RunSubscriber, WorkflowDefinition } from "../contracts.ts";
import { StrategyRegistry } from "../registry.ts";

export type NodeSpec = { id: string; type?: string } & Partial<WorkflowDefinition["nodes"][number]["data"]>;
export type EdgeSpec = [source: string, target: string, extra?: { port?: string; condition?: string; id?: string }];

/** A definition: `start` (trigger.manual) plus the given nodes (type `test.step` by default) and edges. */
export function workflow(
  nodes: NodeSpec[],
  edges: EdgeSpec[],
  extra: Partial<WorkflowDefinition> = {},
): WorkflowDefinition {
  return {
    name: "test",
    nodes: [
      { id: "start", type: "trigger.manual", data: {} },
      ...nodes.map(({ id, type, ...data }) => ({ id, type: type ?? "test.step", data })),
    ],
    edges: edges.map(([source, target, more], i) => ({
      id: more?.id ?? `e${i}-${source}-${target}`,
      source,
      target,
      ...(more?.port === undefined ? {} : { sourceHandle: more.port }),
      ...(more?.condition === undefined ? {} : { data: { condition: more.condition } }),
    })),
    ...extra,
  };
}

export function descriptor(type: string, ports: string[] = ["default"], more: Partial<NodeTypeDescriptor> = {}) {
  return { type, version: 1, category: "action", ports, ...more } as NodeTypeDescriptor;
}

/** A registry with `test.step`, whose behaviour per node id is given by `behaviour`. */
export function registryWith(
  strategies: Record<string, NodeStrategy<Record<string, unknown>>> = {},
  behaviour?: NodeStrategy<Record<string, unknown>>,
): StrategyRegistry {
  const registry = new StrategyRegistry();
  registry.register(
    descriptor("test.step", ["default", "true", "false"]),
    behaviour ?? {
      execute: (ctx) => ({ node: ctx.nodeId, config: ctx.config as Json, inputs: ctx.inputs as Json }),
    },
  );
  for (const [type, strategy] of Object.entries(strategies)) {
    registry.register(descriptor(type, ["default", "true", "false"]), strategy);
  }
  return registry;
}

/** Records every event in order, as `name:nodeId`. */
export function eventLog(): { events: string[]; subscriber: RunSubscriber } {
  const events: string[] = [];
  return {
    events,
    subscriber: {
      runStarted: () => void events.push("runStarted"),
      nodeStarted: (e) => void events.push(`nodeStarted:${e.nodeId}#${e.attempt}`),
      attemptFinished: (e) => void events.push(`attemptFinished:${e.nodeId}#${e.attempt}:${e.outcome.status}`),
      nodeSkipped: (e) => void events.push(`nodeSkipped:${e.nodeId}`),
      finalizeFailed: (e) => void events.push(`finalizeFailed:${e.nodeId}`),
      runSuspended: (e) => void events.push(`runSuspended:${e.waiting.join(",")}`),
      runFinished: (e) => void events.push(`runFinished:${e.status}`),
    },
  };
}

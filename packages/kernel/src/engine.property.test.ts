// Properties of the scheduler over random DAGs and random node outcomes (fast-check).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Json, NodeStrategy, OnError, RunState, WorkflowDefinition } from "./contracts.ts";
import { WorkflowEngine } from "./engine.ts";
import { WeftError } from "./errors.ts";
import { emit, suspend } from "./lifecycle.ts";
import { StrategyRegistry } from "./registry.ts";
import { abortableSleep } from "./retry.ts";

type Step = "ok" | "true" | "false" | "retryable" | "fatal" | "suspend";

interface NodePlan {
  id: string;
  preds: number[];
  ports: ("default" | "true" | "false" | "error")[];
  join: "all" | "any";
  onError: OnError;
  maxAttempts: number;
  steps: Step[];
  ticks: number;
}

const stepArb = fc.constantFrom<Step>("ok", "ok", "true", "false", "retryable", "fatal", "suspend");

function planArb(allowRunFailure: boolean) {
  return fc.integer({ min: 1, max: 10 }).chain((n) =>
    fc
      .tuple(
        ...Array.from({ length: n }, (_, i) =>
          fc.record({
            preds: fc.uniqueArray(fc.integer({ min: 0, max: i }), { minLength: 1, maxLength: Math.min(3, i + 1) }),
            ports: fc.array(fc.constantFrom("default", "default", "true", "false", "error"), {
              minLength: 3,
              maxLength: 3,
            }),
            join: fc.constantFrom("all", "all", "any"),
            onError: fc.constantFrom<OnError>(
              ...(allowRunFailure ? (["fail", "continue", "route"] as const) : (["continue", "route"] as const)),
            ),
            maxAttempts: fc.integer({ min: 1, max: 3 }),
            steps: fc.array(stepArb, { minLength: 1, maxLength: 4 }),
            ticks: fc.integer({ min: 0, max: 3 }),
          }),
        ),
      )
      .map((nodes) => nodes.map((node, i) => ({ ...node, id: `n${i + 1}` }) as NodePlan)),
  );
}

/** How one node's attempts spend time: whether they stop when `ctx.signal` aborts, and its timeout. */
interface Timing {
  honoursSignal: boolean;
  workMs: number;
  timeoutMs: number | undefined;
}

const timingArb = fc.record({
  honoursSignal: fc.boolean(),
  workMs: fc.integer({ min: 0, max: 6 }),
  timeoutMs: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
});

function definitionOf(plans: NodePlan[], concurrency: number, timings?: Timing[]): WorkflowDefinition {
  const name = (index: number) => (index === 0 ? "start" : `n${index}`);
  return {
    name: "random",
    settings: { concurrency },
    nodes: [
      { id: "start", type: "trigger.manual", data: {} },
      ...plans.map((p, i) => ({
        id: p.id,
        type: "prop.node",
        data: {
          ...(timings?.[i]?.timeoutMs === undefined ? {} : { timeoutMs: timings[i].timeoutMs }),
          join: p.join,
          onError: p.onError,
          retry: { maxAttempts: p.maxAttempts, backoff: "exponential" as const, delayMs: 5, jitter: true },
        },
      })),
    ],
    edges: plans.flatMap((p) =>
      p.preds.map((pred, k) => {
        const port = pred === 0 ? "default" : (p.ports[k] ?? "default");
        return { id: `${name(pred)}-${p.id}`, source: name(pred), target: p.id, sourceHandle: port };
      }),
    ),
  };
}

interface Observations {
  running: number;
  maxRunning: number;
  started: Map<string, number>;
  finalized: Map<string, number>;
  /** The attempt of each node whose `execute` is running right now. */
  active: Map<string, number>;
  problems: string[];
}

function harness(plans: NodePlan[], concurrency: number, timings?: Timing[]) {
  const byId = new Map(plans.map((p) => [p.id, p]));
  const timingOf = new Map(plans.map((p, i) => [p.id, timings?.[i]]));
  const definition = definitionOf(plans, concurrency, timings);
  const obs: Observations = {
    running: 0,
    maxRunning: 0,
    started: new Map(),
    finalized: new Map(),
    active: new Map(),
    problems: [],
  };
  const strategy: NodeStrategy = {
    async execute(ctx) {
      const plan = byId.get(ctx.nodeId) as NodePlan;
      const timing = timingOf.get(ctx.nodeId);
      const key = `${ctx.nodeId}#${ctx.attempt}`;
      obs.started.set(key, (obs.started.get(key) ?? 0) + 1);
      const other = obs.active.get(ctx.nodeId);
      if (other !== undefined) obs.problems.push(`${key} started while attempt ${other} was still running`);
      obs.active.set(ctx.nodeId, ctx.attempt);
      obs.running++;
      obs.maxRunning = Math.max(obs.maxRunning, obs.running);
      try {
        for (let i = 0; i < plan.ticks; i++) await Promise.resolve();
        if (timing !== undefined) {
          // A strategy that ignores the signal keeps working after its timeout or a cancel.
          if (timing.honoursSignal) await abortableSleep(timing.workMs, ctx.signal);
          else await new Promise((resolve) => setTimeout(resolve, timing.workMs));
        }
        // Suspends count as steps; a resumed attempt moves to the next step.
        const step = plan.steps[Math.min(ctx.attempt - 1, plan.steps.length - 1)] as Step;
        if (step === "suspend" && ctx.resume === undefined) return suspend({ kind: "approval" });
        if (step === "retryable") throw new WeftError("PROP_E_FLAKY", "flaky", { retryable: true });
        if (step === "fatal") throw new WeftError("PROP_E_FATAL", "fatal", { retryable: false });
        const output: Json = { node: ctx.nodeId, attempt: ctx.attempt };
        return step === "true" || step === "false" ? emit(step, output) : output;
      } finally {
        obs.running--;
        obs.active.delete(ctx.nodeId);
      }
    },
    finalize(ctx) {
      const key = `${ctx.nodeId}#${ctx.attempt}`;
      if (obs.active.get(ctx.nodeId) === ctx.attempt) obs.problems.push(`${key} finalized while still running`);
      obs.finalized.set(key, (obs.finalized.get(key) ?? 0) + 1);
    },
  };
  const registry = new StrategyRegistry();
  registry.register(
    { type: "prop.node", version: 1, category: "action", ports: ["default", "true", "false"] },
    strategy,
  );
  const incoming = new Map<string, WorkflowDefinition["edges"]>();
  for (const edge of definition.edges) incoming.set(edge.target, [...(incoming.get(edge.target) ?? []), edge]);
  const engine = new WorkflowEngine({
    registry,
    sleep: async () => {},
    subscriber: {
      nodeStarted({ nodeId, state }) {
        const plan = byId.get(nodeId);
        if (plan === undefined) return;
        const edges = incoming.get(nodeId) ?? [];
        const taken = edges.filter((e) => state.edges[e.id] === "taken");
        if (taken.length === 0) obs.problems.push(`${nodeId} started with no taken input`);
        if (plan.join === "all" && edges.some((e) => state.edges[e.id] === "pending")) {
          obs.problems.push(`${nodeId} (join all) started before every input was resolved`);
        }
        for (const edge of taken) {
          if (state.nodes[edge.source]?.status !== "succeeded")
            obs.problems.push(`${nodeId} started before ${edge.source} finished`);
        }
      },
    },
  });
  return { engine, definition, obs };
}

/** Executes, resuming waiting nodes (lowest id first) until the run is over. */
async function drive(
  engine: WorkflowEngine,
  definition: WorkflowDefinition,
  interrupt?: { pauses: boolean[] },
  signal?: AbortSignal,
): Promise<RunState> {
  let state = engine.createRun({ runId: "run", workflowId: "wf", definition, input: { seed: 1 } });
  let pauseIndex = 0;
  const options = () => ({
    ...(signal === undefined ? {} : { signal }),
    ...(interrupt ? { shouldPause: () => interrupt.pauses[pauseIndex++ % interrupt.pauses.length] === true } : {}),
  });
  const roundTrip = (s: RunState) => (interrupt ? (JSON.parse(JSON.stringify(s)) as RunState) : s);
  state = await engine.execute(definition, state, options());
  for (let guard = 0; guard < 500; guard++) {
    state = roundTrip(state);
    if (state.status === "paused") state = await engine.execute(definition, state, options());
    else if (state.status === "waiting") {
      const [next] = Object.keys(state.nodes)
        .filter((id) => state.nodes[id]?.status === "waiting")
        .sort();
      state = await engine.resume(definition, state, next as string, { approved: true }, options());
    } else return state;
  }
  throw new Error("run did not finish");
}

const TERMINAL = new Set(["succeeded", "failed", "skipped", "cancelled"]);

describe("the scheduler, over random DAGs and outcomes", () => {
  it("keeps its invariants", async () => {
    await fc.assert(
      fc.asyncProperty(planArb(true), fc.integer({ min: 1, max: 4 }), async (plans, concurrency) => {
        const { engine, definition, obs } = harness(plans, concurrency);
        const state = await drive(engine, definition);
        expect(["succeeded", "failed"]).toContain(state.status);
        expect(obs.problems).toEqual([]);
        expect(obs.maxRunning).toBeLessThanOrEqual(concurrency);
        for (const [id, node] of Object.entries(state.nodes)) {
          expect(TERMINAL.has(node.status), `${id} ended ${node.status}`).toBe(true);
          if (id === "start") continue;
          const plan = plans.find((p) => p.id === id) as NodePlan;
          const resumes = plan.steps.filter((s) => s === "suspend").length;
          expect(node.attempts).toBeLessThanOrEqual(plan.maxAttempts + resumes);
          for (let attempt = 1; attempt <= node.attempts; attempt++) {
            expect(obs.started.get(`${id}#${attempt}`), `${id}#${attempt} started once`).toBe(1);
            expect(obs.finalized.get(`${id}#${attempt}`), `${id}#${attempt} finalized once`).toBe(1);
          }
          if (node.status === "skipped") expect(node.attempts).toBe(0);
        }
        expect(obs.started.size).toBe(obs.finalized.size);
      }),
      { numRuns: 150 },
    );
  });

  it("keeps its invariants under random timeouts and a random cancel, whether strategies honour the signal or not", async () => {
    const scenario = planArb(true).chain((plans) =>
      fc.tuple(
        fc.constant(plans),
        fc.array(timingArb, { minLength: plans.length, maxLength: plans.length }),
        fc.integer({ min: 1, max: 4 }),
        fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined }),
      ),
    );
    await fc.assert(
      fc.asyncProperty(scenario, async ([plans, timings, concurrency, cancelAfterMs]) => {
        const { engine, definition, obs } = harness(plans, concurrency, timings);
        const controller = new AbortController();
        const timer = cancelAfterMs === undefined ? undefined : setTimeout(() => controller.abort(), cancelAfterMs);
        const state = await drive(engine, definition, undefined, controller.signal).finally(() => clearTimeout(timer));
        expect(["succeeded", "failed", "cancelled"]).toContain(state.status);
        expect(obs.problems).toEqual([]);
        expect(obs.maxRunning).toBeLessThanOrEqual(concurrency);
        expect(obs.running).toBe(0);
        for (const [id, node] of Object.entries(state.nodes)) {
          expect(TERMINAL.has(node.status), `${id} ended ${node.status}`).toBe(true);
          if (id === "start") continue;
          for (let attempt = 1; attempt <= node.attempts; attempt++) {
            // An attempt cancelled before its phases began is finalized without having started.
            expect(obs.started.get(`${id}#${attempt}`) ?? 0, `${id}#${attempt} started at most once`).toBeLessThan(2);
            expect(obs.finalized.get(`${id}#${attempt}`), `${id}#${attempt} finalized once`).toBe(1);
          }
          expect(node.error?.details).not.toMatchObject({ abandoned: true });
        }
      }),
      { numRuns: 60 },
    );
  });

  it("ends the same when paused and carried through JSON at random points", async () => {
    await fc.assert(
      fc.asyncProperty(
        planArb(false),
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
        async (plans, concurrency, pauses) => {
          const straight = harness(plans, concurrency);
          const expected = await drive(straight.engine, straight.definition);
          const interrupted = harness(plans, concurrency);
          const actual = await drive(interrupted.engine, interrupted.definition, { pauses: [false, ...pauses] });
          const summary = (s: RunState) => ({
            status: s.status,
            output: s.output,
            edges: s.edges,
            nodes: Object.fromEntries(
              Object.entries(s.nodes).map(([id, n]) => [
                id,
                { status: n.status, output: n.output, port: n.port, attempts: n.attempts },
              ]),
            ),
          });
          expect(summary(actual)).toEqual(JSON.parse(JSON.stringify(summary(expected))));
        },
      ),
      { numRuns: 150 },
    );
  });
});

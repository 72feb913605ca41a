import { describe, expect, it } from "vitest";
import { eventLog, registryWith, workflow } from "./__fixtures__/workflows.ts";
import type { Json, NodeStrategy, RunState } from "./contracts.ts";
import { WorkflowEngine, type WorkflowEngineOptions } from "./engine.ts";
import { WeftError } from "./errors.ts";
import { emit, suspend } from "./lifecycle.ts";

type Strategy = NodeStrategy<Record<string, unknown>>;

function setup(strategies: Record<string, Strategy> = {}, options: Partial<WorkflowEngineOptions> = {}) {
  const registry = registryWith(strategies);
  const sleeps: number[] = [];
  const engine = new WorkflowEngine({
    registry,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    ...options,
  });
  return { engine, registry, sleeps };
}

async function run(engine: WorkflowEngine, definition: ReturnType<typeof workflow>, input: Json = null) {
  const state = engine.createRun({ runId: "run-1", workflowId: "wf-1", definition, input });
  return engine.execute(definition, state);
}

function statuses(state: RunState) {
  return Object.fromEntries(Object.entries(state.nodes).map(([id, n]) => [id, n.status]));
}

const fails = (retryable: boolean, code = "TEST_E_BOOM"): Strategy => ({
  execute: () => {
    throw new WeftError(code, "boom", { retryable });
  },
});

describe("a run", () => {
  it("passes upstream outputs as inputs and reports sink outputs as the run output", async () => {
    const { engine } = setup();
    const definition = workflow(
      [{ id: "a" }, { id: "b" }],
      [
        ["start", "a"],
        ["a", "b"],
      ],
    );
    const state = await run(engine, definition, { host: "10.0.0.1" });
    expect(state.status).toBe("succeeded");
    expect(state.nodes.a?.output).toEqual({ node: "a", config: {}, inputs: { start: { host: "10.0.0.1" } } });
    expect(Object.keys(state.output as object)).toEqual(["b"]);
  });

  it("fires events in order and awaits them", async () => {
    const { events, subscriber } = eventLog();
    const { engine } = setup({}, { subscriber });
    await run(engine, workflow([{ id: "a" }], [["start", "a"]]));
    expect(events).toEqual([
      "runStarted",
      "nodeStarted:start#1",
      "attemptFinished:start#1:succeeded",
      "nodeStarted:a#1",
      "attemptFinished:a#1:succeeded",
      "runFinished:succeeded",
    ]);
  });

  it("resolves templates, keeping the type of an exact template", async () => {
    const { engine } = setup();
    const definition = workflow(
      [{ id: "a", config: { count: "{{ $input.n + 1 }}", text: "n is {{ $input.n }}", env: "{{ $vars.env }}" } }],
      [["start", "a"]],
      { vars: { env: "prod" } },
    );
    const state = await run(engine, definition, { n: 41 });
    expect((state.nodes.a?.output as { config: unknown } | undefined)?.config).toEqual({
      count: 42,
      text: "n is 41",
      env: "prod",
    });
  });

  it("fails the node with WEFT_E_EXPRESSION when a template cannot be evaluated", async () => {
    const { engine } = setup();
    const definition = workflow([{ id: "a", config: { x: "{{ $error('nope') }}" } }], [["start", "a"]]);
    const state = await run(engine, definition);
    expect(state.status).toBe("failed");
    expect(state.nodes.a?.error?.code).toBe("WEFT_E_EXPRESSION");
  });

  it("honours emit() ports and conditions, and propagates skips", async () => {
    const { engine } = setup({ "test.branch": { execute: (ctx) => emit("true", { severity: ctx.input }) } });
    const definition = workflow(
      [{ id: "check", type: "test.branch" }, { id: "yes" }, { id: "no" }, { id: "after-no" }, { id: "high" }],
      [
        ["start", "check"],
        ["check", "yes", { port: "true" }],
        ["check", "no", { port: "false" }],
        ["no", "after-no"],
        ["check", "high", { port: "true", condition: "$nodes.check.output.severity = 'low'" }],
      ],
    );
    const state = await run(engine, definition, "high");
    expect(statuses(state)).toMatchObject({ yes: "succeeded", no: "skipped", "after-no": "skipped", high: "skipped" });
    expect(state.status).toBe("succeeded");
  });

  it("fails the run with WEFT_E_EXPRESSION on the target when a condition throws", async () => {
    const { engine } = setup();
    const definition = workflow(
      [{ id: "a" }, { id: "b" }],
      [
        ["start", "a"],
        ["a", "b", { condition: "$error('bad')" }],
      ],
    );
    const state = await run(engine, definition);
    expect(state.status).toBe("failed");
    expect(state.nodes.b).toMatchObject({ status: "failed", error: { code: "WEFT_E_EXPRESSION", nodeId: "b" } });
  });
});

describe("joins", () => {
  const definition = (join: "all" | "any") =>
    workflow(
      [{ id: "branch", type: "test.branch" }, { id: "left" }, { id: "right" }, { id: "merge", join }],
      [
        ["start", "branch"],
        ["branch", "left", { port: "true" }],
        ["branch", "right", { port: "false" }],
        ["left", "merge"],
        ["right", "merge"],
      ],
    );
  const branch: Strategy = { execute: () => emit("true", null) };

  it("join all runs when every incoming edge is resolved and one was taken", async () => {
    const { engine } = setup({ "test.branch": branch });
    const state = await run(engine, definition("all"));
    expect(statuses(state)).toMatchObject({ left: "succeeded", right: "skipped", merge: "succeeded" });
    expect(Object.keys((state.nodes.merge?.output as { inputs: object } | undefined)?.inputs ?? {})).toEqual(["left"]);
  });

  it("join any runs on the first taken edge without waiting for the others", async () => {
    let release: () => void = () => {};
    const slow: Strategy = { execute: () => new Promise<Json>((r) => (release = () => r("slow"))) };
    const { engine } = setup({ "test.slow": slow });
    const order: string[] = [];
    const def = workflow(
      [{ id: "fast" }, { id: "slow", type: "test.slow" }, { id: "merge", join: "any" }],
      [
        ["start", "fast"],
        ["start", "slow"],
        ["fast", "merge"],
        ["slow", "merge"],
      ],
    );
    const engine2 = new WorkflowEngine({
      registry: engine.registry,
      subscriber: {
        attemptFinished: (e) => {
          order.push(e.nodeId);
          if (e.nodeId === "merge") release();
        },
      },
    });
    const state = await run(engine2, def);
    expect(order).toEqual(["start", "fast", "merge", "slow"]);
    expect(state.status).toBe("succeeded");
  });

  it("a node none of whose incoming edges is taken is skipped", async () => {
    const { engine } = setup({ "test.branch": { execute: () => emit("nowhere", null) } });
    const state = await run(engine, definition("any"));
    expect(statuses(state)).toMatchObject({ left: "skipped", right: "skipped", merge: "skipped" });
  });
});

describe("onError", () => {
  it("fail (default) fails the run and cancels what has not run", async () => {
    const { engine } = setup({ "test.fail": fails(false) });
    const definition = workflow(
      [{ id: "a", type: "test.fail" }, { id: "b" }, { id: "c" }],
      [
        ["start", "a"],
        ["a", "b"],
        ["start", "c"],
      ],
    );
    const state = await run(engine, definition);
    expect(state.status).toBe("failed");
    expect(state.error).toMatchObject({ code: "TEST_E_BOOM", nodeId: "a", runId: "run-1" });
    expect(state.nodes.a?.status).toBe("failed");
    expect(state.nodes.b?.status).toBe("skipped");
  });

  it("continue treats the node as succeeded with the error as output", async () => {
    const { engine } = setup({ "test.fail": fails(false) });
    const state = await run(
      engine,
      workflow(
        [{ id: "a", type: "test.fail", onError: "continue" }, { id: "b" }],
        [
          ["start", "a"],
          ["a", "b"],
        ],
      ),
    );
    expect(state.status).toBe("succeeded");
    expect(state.nodes.a).toMatchObject({ status: "succeeded", port: "default", output: { code: "TEST_E_BOOM" } });
    expect(state.nodes.b?.status).toBe("succeeded");
  });

  it("route succeeds on the error port", async () => {
    const { engine } = setup({ "test.fail": fails(false) });
    const definition = workflow(
      [{ id: "a", type: "test.fail", onError: "route" }, { id: "ok" }, { id: "handler" }],
      [
        ["start", "a"],
        ["a", "ok"],
        ["a", "handler", { port: "error" }],
      ],
    );
    const state = await run(engine, definition);
    expect(statuses(state)).toMatchObject({ a: "succeeded", ok: "skipped", handler: "succeeded" });
    expect(state.nodes.a?.port).toBe("error");
  });
});

describe("retries", () => {
  it("retries retryable errors up to maxAttempts with exponential backoff capped by maxDelayMs", async () => {
    let calls = 0;
    const { engine, sleeps } = setup({
      "test.flaky": {
        execute: () => {
          calls += 1;
          throw new WeftError("TEST_E_FLAKY", "flaky", { retryable: true });
        },
      },
    });
    const retry = { maxAttempts: 4, backoff: "exponential" as const, delayMs: 100, maxDelayMs: 300 };
    const state = await run(engine, workflow([{ id: "a", type: "test.flaky", retry }], [["start", "a"]]));
    expect(calls).toBe(4);
    expect(sleeps).toEqual([100, 200, 300]);
    expect(state.nodes.a).toMatchObject({ status: "failed", attempts: 4 });
  });

  it("applies jitter and a service's retryAfterMs, and succeeds once an attempt does", async () => {
    let calls = 0;
    const flaky: Strategy = {
      execute: () => {
        calls += 1;
        if (calls === 1) throw new WeftError("TEST_E_RATE", "slow down", { retryable: true, retryAfterMs: 5000 });
        if (calls === 2) throw new WeftError("TEST_E_FLAKY", "again", { retryable: true });
        return "ok";
      },
    };
    const { engine, sleeps } = setup({ "test.flaky": flaky });
    const retry = { maxAttempts: 5, backoff: "fixed" as const, delayMs: 1000, jitter: true };
    const state = await run(engine, workflow([{ id: "a", type: "test.flaky", retry }], [["start", "a"]]));
    expect(sleeps).toEqual([5000, 500]);
    expect(state.nodes.a).toMatchObject({ status: "succeeded", attempts: 3, output: "ok" });
  });

  it("caps a service's retryAfterMs at maxDelayMs, so a Retry-After of a day does not wait a day", async () => {
    let calls = 0;
    const limited: Strategy = {
      execute: () => {
        calls += 1;
        if (calls === 1) throw new WeftError("TEST_E_RATE", "slow down", { retryable: true, retryAfterMs: 86_400_000 });
        return "ok";
      },
    };
    const { engine, sleeps } = setup({ "test.limited": limited });
    const retry = { maxAttempts: 2, backoff: "fixed" as const, delayMs: 100, maxDelayMs: 30_000 };
    const state = await run(engine, workflow([{ id: "a", type: "test.limited", retry }], [["start", "a"]]));
    expect(sleeps).toEqual([30_000]);
    expect(state.nodes.a?.status).toBe("succeeded");
  });

  it("does not retry errors that are not retryable", async () => {
    const { engine, sleeps } = setup({ "test.fail": fails(false) });
    const retry = { maxAttempts: 3, backoff: "fixed" as const, delayMs: 10 };
    const state = await run(engine, workflow([{ id: "a", type: "test.fail", retry }], [["start", "a"]]));
    expect(sleeps).toEqual([]);
    expect(state.nodes.a?.attempts).toBe(1);
  });
});

describe("finalize", () => {
  it("runs once per attempt with the outcome, and its failure never hides the outcome", async () => {
    const outcomes: string[] = [];
    const strategy: Strategy = {
      execute: () => "done",
      finalize: (_ctx, outcome) => {
        outcomes.push(outcome.status);
        throw new Error("cleanup broke");
      },
    };
    const { events, subscriber } = eventLog();
    const { engine } = setup({ "test.cleanup": strategy }, { subscriber });
    const state = await run(engine, workflow([{ id: "a", type: "test.cleanup" }], [["start", "a"]]));
    expect(outcomes).toEqual(["succeeded"]);
    expect(state.nodes.a?.status).toBe("succeeded");
    expect(events).toContain("finalizeFailed:a");
  });
});

describe("timeouts and cancel", () => {
  it("aborts ctx.signal and fails the attempt with WEFT_E_TIMEOUT when timeoutMs passes", async () => {
    let reason: unknown;
    const hang: Strategy = {
      execute: (ctx) =>
        new Promise(() => {
          ctx.signal.addEventListener("abort", () => {
            reason = ctx.signal.reason;
          });
        }),
    };
    const finalized: string[] = [];
    hang.finalize = (_c, o) => void finalized.push(o.status);
    const { engine } = setup({ "test.hang": hang }, { abortGraceMs: 10 });
    const state = await run(engine, workflow([{ id: "a", type: "test.hang", timeoutMs: 20 }], [["start", "a"]]));
    expect(state.nodes.a?.error?.code).toBe("WEFT_E_TIMEOUT");
    expect((reason as WeftError).code).toBe("WEFT_E_TIMEOUT");
    expect(finalized).toEqual(["failed"]);
    expect(state.status).toBe("failed");
  });

  it("cancelling aborts running nodes, finalizes them and cancels the rest", async () => {
    const controller = new AbortController();
    const finalized: string[] = [];
    const hang: Strategy = {
      execute: (ctx) => {
        queueMicrotask(() => controller.abort());
        return new Promise(() => {
          expect(ctx.signal.aborted).toBe(false);
        });
      },
      finalize: (ctx, outcome) =>
        void finalized.push(`${ctx.nodeId}:${outcome.status}:${(ctx.signal.reason as WeftError).code}`),
    };
    const { engine } = setup({ "test.hang": hang }, { abortGraceMs: 10 });
    const definition = workflow(
      [{ id: "a", type: "test.hang" }, { id: "b" }],
      [
        ["start", "a"],
        ["a", "b"],
      ],
    );
    const state = engine.createRun({ runId: "run-1", workflowId: "wf-1", definition });
    await engine.execute(definition, state, { signal: controller.signal });
    expect(state.status).toBe("cancelled");
    expect(statuses(state)).toMatchObject({ start: "succeeded", a: "cancelled", b: "cancelled" });
    expect(finalized).toEqual(["a:cancelled:WEFT_E_CANCELLED"]);
    expect(state.error?.code).toBe("WEFT_E_CANCELLED");
  });

  it("runs finalize and the retry only after a strategy that ignores the signal has returned", async () => {
    const order: string[] = [];
    const stubborn: Strategy = {
      execute: async (ctx) => {
        order.push(`start#${ctx.attempt}`);
        if (ctx.attempt === 1) await new Promise((resolve) => setTimeout(resolve, 40));
        order.push(`return#${ctx.attempt}`);
        return "done";
      },
      finalize: (ctx, outcome) => void order.push(`finalize#${ctx.attempt}:${outcome.status}`),
    };
    const { engine } = setup({ "test.stubborn": stubborn });
    const retry = { maxAttempts: 2, backoff: "fixed" as const, delayMs: 0 };
    const state = await run(
      engine,
      workflow([{ id: "a", type: "test.stubborn", timeoutMs: 1, retry }], [["start", "a"]]),
    );
    expect(order).toEqual(["start#1", "return#1", "finalize#1:failed", "start#2", "return#2", "finalize#2:succeeded"]);
    expect(state.nodes.a).toMatchObject({ status: "succeeded", attempts: 2 });
  });

  it("abandons a strategy still running after abortGraceMs: logged, marked, and never retried", async () => {
    const logs: string[] = [];
    let finalized = 0;
    const hang: Strategy = { execute: () => new Promise(() => {}), finalize: () => void finalized++ };
    const { engine } = setup(
      { "test.hang": hang },
      { abortGraceMs: 5, subscriber: { attemptFinished: (e) => void logs.push(...e.logs.map((l) => l.message)) } },
    );
    const retry = { maxAttempts: 3, backoff: "fixed" as const, delayMs: 0 };
    const state = await run(engine, workflow([{ id: "a", type: "test.hang", timeoutMs: 1, retry }], [["start", "a"]]));
    expect(state.nodes.a?.attempts).toBe(1);
    expect(state.nodes.a?.error).toMatchObject({
      code: "WEFT_E_TIMEOUT",
      retryable: false,
      details: { timeoutMs: 1, abandoned: true, graceMs: 5 },
    });
    expect(finalized).toBe(1);
    expect(logs).toEqual([expect.stringContaining("abandoned")]);
  });

  it("an already-aborted signal cancels a waiting run", async () => {
    const { engine } = setup({ "test.wait": { execute: () => suspend({ kind: "webhook" }) } });
    const definition = workflow([{ id: "a", type: "test.wait" }], [["start", "a"]]);
    const state = await run(engine, definition);
    expect(state.status).toBe("waiting");
    await engine.execute(definition, state, { signal: AbortSignal.abort() });
    expect(state.status).toBe("cancelled");
    expect(state.nodes.a?.status).toBe("cancelled");
  });
});

describe("suspend and resume", () => {
  const approval: Strategy = {
    execute: (ctx) =>
      ctx.resume === undefined ? suspend({ kind: "approval", data: { role: "soc" } }) : { approved: ctx.resume },
  };

  it("waits, survives a JSON round trip, and resumes with the payload as a new attempt", async () => {
    const { events, subscriber } = eventLog();
    const { engine } = setup({ "test.approval": approval }, { subscriber });
    const definition = workflow(
      [{ id: "gate", type: "test.approval" }, { id: "after" }, { id: "side" }],
      [
        ["start", "gate"],
        ["gate", "after"],
        ["start", "side"],
      ],
    );
    const waiting = await run(engine, definition);
    expect(waiting.status).toBe("waiting");
    expect(waiting.nodes.gate).toMatchObject({ status: "waiting", wait: { kind: "approval" } });
    expect(waiting.nodes.side?.status).toBe("succeeded");
    expect(events).toContain("runSuspended:gate");
    const restored = JSON.parse(JSON.stringify(waiting)) as RunState;
    const done = await engine.resume(definition, restored, "gate", true);
    expect(done.status).toBe("succeeded");
    expect(done.nodes.gate).toMatchObject({ status: "succeeded", attempts: 2, output: { approved: true } });
  });

  it("rejects resuming a node that is not waiting with WEFT_E_INVALID_RESUME", async () => {
    const { engine } = setup({ "test.approval": approval });
    const definition = workflow([{ id: "gate", type: "test.approval" }], [["start", "gate"]]);
    const state = await run(engine, definition);
    await expect(engine.resume(definition, state, "start", null)).rejects.toMatchObject({
      code: "WEFT_E_INVALID_RESUME",
    });
    await expect(engine.resume(definition, state, "nope", null)).rejects.toMatchObject({
      code: "WEFT_E_INVALID_RESUME",
    });
  });
});

describe("durability", () => {
  it("re-runs an attempt interrupted by a crash with the same idempotency key", async () => {
    const keys: string[] = [];
    const { engine } = setup({
      "test.keyed": { execute: (ctx) => void keys.push(`${ctx.idempotencyKey}#${ctx.attempt}`) },
    });
    const definition = workflow([{ id: "a", type: "test.keyed" }], [["start", "a"]]);
    const state = engine.createRun({ runId: "r9", workflowId: "wf", definition });
    state.nodes.start = { status: "succeeded", attempts: 1, output: null, port: "default" };
    state.edges = { "e0-start-a": "taken" };
    state.nodes.a = { status: "running", attempts: 1 };
    const done = await engine.execute(definition, JSON.parse(JSON.stringify(state)));
    expect(done.status).toBe("succeeded");
    expect(keys).toEqual(["r9:a#2"]);
  });

  it("pauses when asked and continues from the paused state", async () => {
    const { engine } = setup();
    const definition = workflow(
      [{ id: "a" }, { id: "b" }],
      [
        ["start", "a"],
        ["a", "b"],
      ],
    );
    const state = engine.createRun({ runId: "r", workflowId: "wf", definition });
    let started = 0;
    await engine.execute(definition, state, { shouldPause: () => ++started > 2 });
    expect(state.status).toBe("paused");
    expect(statuses(state)).toMatchObject({ start: "succeeded", a: "succeeded", b: "pending" });
    const done = await engine.execute(definition, JSON.parse(JSON.stringify(state)));
    expect(done.status).toBe("succeeded");
    expect(done.nodes.b?.attempts).toBe(1);
  });

  it("a subscriber that throws stops execution with its error", async () => {
    const { engine } = setup({}, { subscriber: { attemptFinished: () => Promise.reject(new Error("db down")) } });
    await expect(run(engine, workflow([{ id: "a" }], [["start", "a"]]))).rejects.toThrow("db down");
  });

  it("runs only the trigger that fired when createRun names one", async () => {
    const { engine } = setup();
    const definition = workflow(
      [{ id: "hook", type: "trigger.manual" }, { id: "a" }, { id: "b" }],
      [
        ["start", "a"],
        ["hook", "b"],
      ],
    );
    const state = engine.createRun({ runId: "r", workflowId: "wf", definition, trigger: "hook" });
    await engine.execute(definition, state);
    expect(statuses(state)).toEqual({ start: "skipped", hook: "succeeded", a: "skipped", b: "succeeded" });
    expect(() => engine.createRun({ runId: "r", workflowId: "wf", definition, trigger: "a" })).toThrow(/not a trigger/);
  });

  it("refuses an invalid definition with every issue in the error", async () => {
    const { engine } = setup();
    const definition = workflow([{ id: "a", type: "nope.nope" }], [["start", "ghost"]]);
    try {
      engine.createRun({ runId: "r", workflowId: "wf", definition });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(WeftError);
      expect((error as WeftError).code).toBe("WEFT_E_INVALID_WORKFLOW");
      const codes = ((error as WeftError).details as { issues: { code: string }[] }).issues.map((i) => i.code);
      expect(codes).toEqual(expect.arrayContaining(["WEFT_E_UNKNOWN_NODE_TYPE", "WEFT_E_DANGLING_EDGE"]));
    }
  });
});

describe("context", () => {
  it("gives nodes credentials, run services and a captured logger", async () => {
    const token = Symbol("limiter");
    const seen: Json[] = [];
    const strategy: Strategy = {
      async execute(ctx) {
        ctx.logger.info("calling", { host: "x" });
        const secret = await ctx.credentials.get();
        seen.push(ctx.services.get<{ name: string }>(token).name, secret.type, ctx.services.has("other"));
        return null;
      },
    };
    const logs: unknown[] = [];
    const { engine } = setup(
      { "test.ctx": strategy },
      {
        credentials: async ({ name, nodeId }) => ({ type: `${name}@${nodeId}`, values: { token: "s3cret" } }),
        services: (container) => container.register(token, { useValue: { name: "limiter" } }),
        subscriber: { attemptFinished: (e) => void logs.push(...e.logs) },
      },
    );
    const state = await run(engine, workflow([{ id: "a", type: "test.ctx", credential: "jira" }], [["start", "a"]]));
    expect(state.status).toBe("succeeded");
    expect(seen).toEqual(["limiter", "jira@a", false]);
    expect(logs).toEqual([expect.objectContaining({ level: "info", message: "calling", fields: { host: "x" } })]);
  });

  it("fails with WEFT_E_CREDENTIAL_MISSING when the node names no credential", async () => {
    const { engine } = setup({ "test.cred": { execute: (ctx) => ctx.credentials.get() as never } });
    const state = await run(engine, workflow([{ id: "a", type: "test.cred" }], [["start", "a"]]));
    expect(state.nodes.a?.error?.code).toBe("WEFT_E_CREDENTIAL_MISSING");
  });
});

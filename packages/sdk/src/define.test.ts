import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { defineCredential, defineNode, definePlugin, emit, type NodeContext } from "./index.ts";

const config = z.object({ channel: z.string().min(1), retries: z.int().default(3) });
const output = z.object({ ts: z.string() });

describe("defineNode", () => {
  it("types ctx.config from the config schema (defaults applied) and checks the output type", () => {
    defineNode({
      type: "demo.post",
      version: 1,
      category: "notification",
      title: "Post",
      description: "Posts",
      config,
      output,
      strategy: {
        async execute(ctx) {
          expectTypeOf(ctx.config).toEqualTypeOf<{ channel: string; retries: number }>();
          expectTypeOf(ctx).toExtend<NodeContext<{ channel: string; retries: number }>>();
          return { ts: `${ctx.config.channel}:${ctx.config.retries}` };
        },
        postprocess(_ctx, result) {
          expectTypeOf(result).toEqualTypeOf<{ ts: string }>();
          return { output: result, port: "default" };
        },
      },
    });
    defineNode({
      type: "demo.bad",
      version: 1,
      category: "action",
      title: "Bad",
      description: "Returns the wrong shape",
      config,
      output,
      strategy: {
        // @ts-expect-error the output schema says { ts: string }
        execute: () => ({ ts: 1 }),
      },
    });
    defineNode({
      type: "demo.emit",
      version: 1,
      category: "condition",
      title: "Emit",
      description: "Picks a port",
      config,
      output,
      ports: ["yes", "no"],
      strategy: { execute: () => emit("yes", { ts: "1" }) },
    });
  });

  it("fills defaults: ports, credentials, examples", () => {
    const node = defineNode({
      type: "demo.defaults",
      version: 1,
      category: "action",
      title: "D",
      description: "D",
      config,
      output,
      strategy: { execute: () => ({ ts: "1" }) },
    });
    expect(node.ports).toEqual(["default"]);
    expect(node.dynamicPorts).toBe(false);
    expect(node.credentials).toEqual([]);
    expect(node.examples).toEqual([]);
  });

  it.each([
    [{ type: "nonamespace" }, /must be namespaced/],
    [{ version: 0 }, /version must be the plugin major/],
    [{ category: "weird" }, /category "weird" is not one of/],
    [{ ports: ["default", "error"] }, /"error" port is implicit/],
  ])("refuses an impossible definition %o with WEFT_E_DEFINITION_INVALID", (patch, message) => {
    const attempt = () =>
      defineNode({
        type: "demo.ok",
        version: 1,
        category: "action",
        title: "T",
        description: "D",
        config,
        output,
        strategy: { execute: () => ({ ts: "1" }) },
        ...(patch as object),
      });
    expect(attempt).toThrow(message);
    expect(attempt).toThrow(expect.objectContaining({ code: "WEFT_E_DEFINITION_INVALID" }));
  });
});

describe("defineCredential and definePlugin", () => {
  it("refuses a secret field the schema does not have", () => {
    expect(() =>
      defineCredential({
        type: "demo",
        title: "Demo",
        schema: z.object({ token: z.string() }),
        // @ts-expect-error not a field of the schema
        secret: ["password"],
      }),
    ).toThrow(/marks "password" secret but its schema has no such field/);
  });

  it("refuses a plugin defining the same node type and version twice", () => {
    const node = defineNode({
      type: "demo.twice",
      version: 1,
      category: "action",
      title: "T",
      description: "D",
      config,
      output,
      strategy: { execute: () => ({ ts: "1" }) },
    });
    expect(() => definePlugin({ name: "@acme/plugin-demo", version: "1.0.0", nodes: [node, node] })).toThrow(
      /defines node type demo.twice \(version 1\) twice/,
    );
  });
});

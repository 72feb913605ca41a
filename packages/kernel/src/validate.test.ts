import { describe, expect, it } from "vitest";
import { descriptor, registryWith, workflow } from "./__fixtures__/workflows.ts";
import { validate } from "./validate.ts";

const registry = registryWith();
registry.register(descriptor("test.step", ["default"], { version: 2 }), { execute: () => null });
registry.register(
  descriptor("test.http", ["default"], {
    validateConfig: (config) =>
      typeof (config as { url?: unknown }).url === "string" ? [] : [{ path: ["url"], message: "url is required" }],
  }),
  { execute: () => null },
);

const codes = (definition: unknown) => validate(definition, registry).map((i) => i.code);

describe("validate", () => {
  it("accepts a valid workflow", () => {
    expect(validate(workflow([{ id: "a" }], [["start", "a"]]), registry)).toEqual([]);
  });

  it("reports shape problems with a path", () => {
    const issues = validate({ name: "", nodes: [{ id: "a", data: {} }], edges: "x" }, registry);
    expect(issues.map((i) => i.code)).toEqual(Array(issues.length).fill("WEFT_E_INVALID_DEFINITION"));
    expect(issues.map((i) => i.path)).toEqual(expect.arrayContaining([["name"], ["edges"], ["nodes", 0, "type"]]));
    expect(issues.find((i) => i.path?.[0] === "nodes")?.nodeId).toBe("a");
    expect(codes(null)).toContain("WEFT_E_INVALID_DEFINITION");
  });

  it("reports unknown types and versions", () => {
    const definition = workflow(
      [{ id: "a", type: "nope.nope" }, { id: "b" }],
      [
        ["start", "a"],
        ["start", "b"],
      ],
    );
    (definition.nodes[2] as { version?: number }).version = 7;
    const issues = validate(definition, registry);
    expect(issues).toEqual([
      expect.objectContaining({ code: "WEFT_E_UNKNOWN_NODE_TYPE", nodeId: "a" }),
      expect.objectContaining({ code: "WEFT_E_NODE_VERSION", nodeId: "b", message: expect.stringContaining("1, 2") }),
    ]);
  });

  it("names the plugin that provides the installed majors when a workflow pins another", () => {
    const plugged = registryWith();
    plugged.register(
      { ...descriptor("slack.postMessage", ["default"]), plugin: { name: "@weft/plugin-slack", version: "2.1.0" } },
      { execute: () => null },
    );
    const definition = workflow([{ id: "a", type: "slack.postMessage" }], [["start", "a"]]);
    (definition.nodes[1] as { version?: number }).version = 3;
    expect(validate(definition, plugged)).toEqual([
      expect.objectContaining({
        code: "WEFT_E_NODE_VERSION",
        message: "Node a needs slack.postMessage major 3; installed: 1 (@weft/plugin-slack 2.1.0)",
      }),
    ]);
  });

  it("reports config that does not match the node's schema, at its path", () => {
    const issues = validate(workflow([{ id: "a", type: "test.http", config: {} }], [["start", "a"]]), registry);
    expect(issues).toEqual([
      expect.objectContaining({
        code: "WEFT_E_CONFIG_INVALID",
        nodeId: "a",
        path: ["nodes", 1, "data", "config", "url"],
      }),
    ]);
  });

  it("reports duplicate node and edge ids", () => {
    const definition = workflow(
      [{ id: "a" }, { id: "a" }],
      [
        ["start", "a", { id: "x" }],
        ["start", "a", { id: "x" }],
      ],
    );
    expect(codes(definition)).toEqual(["WEFT_E_DUPLICATE_ID", "WEFT_E_DUPLICATE_ID"]);
  });

  it("reports dangling edges", () => {
    const issues = validate(
      workflow(
        [{ id: "a" }],
        [
          ["start", "a"],
          ["a", "ghost", { id: "bad" }],
        ],
      ),
      registry,
    );
    expect(issues).toEqual([expect.objectContaining({ code: "WEFT_E_DANGLING_EDGE", edgeId: "bad" })]);
  });

  it("reports edges from ports the node does not have, but allows error", () => {
    const definition = workflow(
      [{ id: "a" }, { id: "b" }, { id: "c" }],
      [
        ["start", "a"],
        ["a", "b", { port: "maybe", id: "bad" }],
        ["a", "c", { port: "error" }],
      ],
    );
    expect(validate(definition, registry)).toEqual([
      expect.objectContaining({ code: "WEFT_E_UNKNOWN_PORT", edgeId: "bad", nodeId: "a" }),
    ]);
  });

  it("reports cycles once each, with their members", () => {
    const definition = workflow(
      [{ id: "a" }, { id: "b" }, { id: "c" }],
      [
        ["start", "a"],
        ["a", "b"],
        ["b", "a"],
        ["c", "c"],
        ["start", "c"],
      ],
    );
    const cycles = validate(definition, registry).filter((i) => i.code === "WEFT_E_CYCLE");
    expect(cycles.map((i) => i.message)).toEqual(["Nodes a → b form a cycle", "Nodes c form a cycle"]);
  });

  it("reports a missing trigger and unreachable nodes", () => {
    expect(codes({ name: "x", nodes: [{ id: "a", type: "test.step", data: {} }], edges: [] })).toEqual([
      "WEFT_E_NO_TRIGGER",
    ]);
    const issues = validate(workflow([{ id: "a" }, { id: "island" }], [["start", "a"]]), registry);
    expect(issues).toEqual([expect.objectContaining({ code: "WEFT_E_UNREACHABLE", nodeId: "island" })]);
  });

  it("reports invalid condition and template expressions", () => {
    const definition = workflow(
      [{ id: "a", config: { to: "{{ $input.( }}" } }, { id: "b" }],
      [
        ["start", "a"],
        ["a", "b", { condition: "a = = b", id: "cond" }],
      ],
    );
    expect(validate(definition, registry)).toEqual([
      expect.objectContaining({
        code: "WEFT_E_INVALID_EXPRESSION",
        nodeId: "a",
        path: ["nodes", 1, "data", "config", "to"],
      }),
      expect.objectContaining({ code: "WEFT_E_INVALID_EXPRESSION", edgeId: "cond" }),
    ]);
  });

  it("returns every problem at once", () => {
    const definition = workflow(
      [{ id: "a", type: "nope" }, { id: "b" }, { id: "b" }],
      [
        ["start", "ghost"],
        ["start", "b", { condition: "(" }],
      ],
    );
    expect(new Set(codes(definition))).toEqual(
      new Set([
        "WEFT_E_UNKNOWN_NODE_TYPE",
        "WEFT_E_DUPLICATE_ID",
        "WEFT_E_DANGLING_EDGE",
        "WEFT_E_INVALID_EXPRESSION",
        "WEFT_E_UNREACHABLE",
      ]),
    );
  });
});

import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineCredential, defineNode, definePlugin, pluginManifest, toDescriptor } from "./index.ts";

const token = defineCredential({
  type: "demo",
  title: "Demo token",
  schema: z.object({ token: z.string(), baseUrl: z.url().default("https://demo.example") }),
  secret: ["token"],
});

const node = defineNode({
  type: "demo.ticket",
  version: 2,
  category: "integration",
  title: "Create ticket",
  description: "Creates a ticket",
  icon: "ticket",
  config: z.object({
    summary: z.string().min(1).meta({ title: "Summary", description: "One line", order: 2 }),
    body: z.string().default("").meta({ title: "Body", widget: "multiline", order: 1 }),
    priority: z
      .enum(["p1", "p2"])
      .default("p2")
      .meta({ title: "Priority", enumLabels: { p1: "Urgent", p2: "Normal" } }),
    count: z.int().min(1),
    apiSecret: z.string().optional().meta({ secret: true }),
  }),
  output: z.object({ key: z.string() }),
  ports: ["default", "duplicate"],
  credentials: [token],
  strategy: { execute: () => ({ key: "T-1" }) },
});

const plugin = definePlugin({
  name: "@acme/plugin-demo",
  version: "2.1.0",
  engine: "^1.0.0",
  nodes: [node],
  credentials: [token],
});

describe("pluginManifest", () => {
  const manifest = pluginManifest(plugin);
  const entry = manifest.nodes[0]!;
  const properties = entry.configSchema.properties as Record<string, Record<string, unknown>>;

  it("describes the plugin and each node as plain JSON", () => {
    expect(JSON.parse(JSON.stringify(manifest))).toEqual(manifest);
    expect(manifest).toMatchObject({ name: "@acme/plugin-demo", version: "2.1.0", engine: "^1.0.0" });
    expect(entry).toMatchObject({
      type: "demo.ticket",
      version: 2,
      category: "integration",
      icon: "ticket",
      ports: ["default", "duplicate"],
      dynamicPorts: false,
      credentials: ["demo"],
    });
  });

  it("gives config as JSON Schema 2020-12 with the designer's UI hints", () => {
    expect(entry.configSchema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    // Fields with defaults are optional for the person writing config.
    expect(entry.configSchema.required).toEqual(["summary", "count"]);
    expect(properties.summary).toMatchObject({
      type: "string",
      minLength: 1,
      title: "Summary",
      description: "One line",
      "x-weft-order": 2,
    });
    expect(properties.body).toMatchObject({ default: "", "x-weft-widget": "multiline", "x-weft-order": 1 });
    expect(properties.priority).toMatchObject({
      enum: ["p1", "p2"],
      default: "p2",
      "x-weft-enum-labels": { p1: "Urgent", p2: "Normal" },
    });
    expect(properties.count).toMatchObject({ type: "integer", minimum: 1, "x-weft-order": 3 });
    expect(properties.apiSecret).toMatchObject({ "x-weft-secret": true });
    expect(JSON.stringify(entry.configSchema)).not.toMatch(/"(widget|enumLabels|order|secret)"/);
    expect(entry.outputSchema).toMatchObject({
      type: "object",
      properties: { key: { type: "string" } },
      required: ["key"],
    });
  });

  it("marks credential secrets write-only", () => {
    const [credential] = manifest.credentials;
    expect(credential).toMatchObject({ type: "demo", title: "Demo token", secret: ["token"] });
    expect(credential?.schema).toMatchObject({
      properties: {
        token: { type: "string", "x-weft-secret": true, writeOnly: true },
        baseUrl: { default: "https://demo.example" },
      },
      required: ["token"],
    });
  });
});

describe("toDescriptor", () => {
  const descriptor = toDescriptor(node, plugin);

  it("gives the kernel the type, major, ports and plugin", () => {
    expect(descriptor).toMatchObject({
      type: "demo.ticket",
      version: 2,
      category: "integration",
      ports: ["default", "duplicate"],
      plugin: { name: "@acme/plugin-demo", version: "2.1.0" },
    });
  });

  it("reports config issues with their paths", () => {
    expect(descriptor.validateConfig?.({ summary: "", count: 0, priority: "p9" })).toEqual([
      { path: ["summary"], message: expect.stringMatching(/>=1 characters/) },
      { path: ["priority"], message: expect.stringMatching(/p1|p2/) },
      { path: ["count"], message: expect.stringMatching(/>=1/) },
    ]);
    expect(descriptor.validateConfig?.({})).toEqual([
      expect.objectContaining({ path: ["summary"] }),
      expect.objectContaining({ path: ["count"] }),
    ]);
  });

  it("accepts a {{ }} template wherever a value goes", () => {
    expect(descriptor.validateConfig?.({ summary: "{{ $input.title }}", count: "{{ $vars.n }}" })).toEqual([]);
    expect(descriptor.validateConfig?.({ summary: "x", count: "{{ $vars.n }}", priority: "p7" })).toEqual([
      expect.objectContaining({ path: ["priority"] }),
    ]);
  });
});

import { describe, expect, it } from "vitest";
import { MANUAL_TRIGGER } from "./builtins.ts";
import { StrategyRegistry, strategyToken } from "./registry.ts";

const descriptor = (version: number) => ({
  type: "jira.createIssue",
  version,
  category: "integration" as const,
  ports: ["default"],
});

describe("StrategyRegistry", () => {
  it("registers the manual trigger by default", () => {
    const registry = new StrategyRegistry();
    expect(registry.describe(MANUAL_TRIGGER)).toMatchObject({ version: 1, category: "trigger" });
    expect(new StrategyRegistry({ builtins: false }).list()).toEqual([]);
  });

  it("resolves by type and major, defaulting to the highest", () => {
    const registry = new StrategyRegistry();
    const v1 = { execute: () => 1 };
    const v2 = { execute: () => 2 };
    registry.register(descriptor(2), v2).register(descriptor(1), v1);
    expect(registry.versions("jira.createIssue")).toEqual([1, 2]);
    expect(registry.resolve("jira.createIssue").strategy).toBe(v2);
    expect(registry.resolve("jira.createIssue", 1).strategy).toBe(v1);
    expect(registry.container.isRegistered(strategyToken("jira.createIssue", 1))).toBe(true);
    expect(() => registry.resolve("jira.createIssue", 3)).toThrow(
      expect.objectContaining({ code: "WEFT_E_NODE_VERSION" }),
    );
    expect(() => registry.resolve("nope")).toThrow(expect.objectContaining({ code: "WEFT_E_UNKNOWN_NODE_TYPE" }));
  });

  it("refuses a second strategy for the same type and major", () => {
    const registry = new StrategyRegistry();
    registry.register(descriptor(1), { execute: () => null });
    expect(() => registry.register(descriptor(1), { execute: () => null })).toThrow(
      expect.objectContaining({ code: "WEFT_E_DUPLICATE_NODE_TYPE" }),
    );
  });

  it("names the plugin package and version of each installed major when the wanted one is missing", () => {
    const registry = new StrategyRegistry();
    registry.register(
      { ...descriptor(1), plugin: { name: "@weft/plugin-jira", version: "1.4.2" } },
      { execute: () => 1 },
    );
    expect(() => registry.resolve("jira.createIssue", 2)).toThrow(
      expect.objectContaining({
        code: "WEFT_E_NODE_VERSION",
        message: expect.stringContaining("installed: 1 (@weft/plugin-jira 1.4.2)"),
      }),
    );
  });

  it("gives runs child containers that see strategies but keep their own services", () => {
    const registry = new StrategyRegistry();
    const a = registry.createRunContainer();
    const b = registry.createRunContainer();
    a.register("clock", { useValue: 1 });
    expect(a.isRegistered(strategyToken(MANUAL_TRIGGER, 1), true)).toBe(true);
    expect(b.isRegistered("clock", true)).toBe(false);
  });
});

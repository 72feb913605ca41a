// One registry of error codes across the workspace: a `WEFT_E_*` code means one thing wherever it is
// raised, and every code is documented in docs/errors.md under the package that defines it.
// Packages the root does not depend on are imported by relative path to their public entry point.
import { readFileSync } from "node:fs";
import { StoreErrorCode } from "@weft/store";
import { describe, expect, it } from "vitest";
import { ServerErrorCode, serverErrorStatuses } from "../apps/server/src/index.ts";
// The CLI exports no error registry from its entry point; its one code lives on the error class.
import { PluginScaffoldError } from "../packages/cli/src/commands/plugin-new.ts";
import { KERNEL_ERRORS } from "../packages/kernel/src/index.ts";
import { LoaderErrorCode, RUNTIME_ERROR_CODES } from "../packages/runtime/src/index.ts";
import { SANDBOX_ERRORS } from "../packages/sandbox/src/index.ts";
import { SdkErrorCode } from "../packages/sdk/src/index.ts";
import { CoreErrorCode } from "../plugins/core/src/index.ts";
import { HttpErrorCode } from "../plugins/http/src/index.ts";
import { JiraErrorCode } from "../plugins/jira/src/index.ts";
import { SlackErrorCode } from "../plugins/slack/src/index.ts";
import { TenableErrorCode } from "../plugins/tenable/src/index.ts";

/** What a registry says about a code, where it says anything. */
interface CodeFacts {
  status?: number;
  retryable?: boolean;
}

/** A package's registry; `section` is its heading in docs/errors.md. */
interface Registry {
  section: string;
  codes: Record<string, CodeFacts>;
}

const values = (codes: Record<string, string>): Record<string, CodeFacts> =>
  Object.fromEntries(Object.values(codes).map((code) => [code, {}]));

const serverStatuses = serverErrorStatuses() as Record<string, number>;

const REGISTRIES: Registry[] = [
  { section: "@weft/kernel", codes: KERNEL_ERRORS },
  { section: "@weft/sdk", codes: values(SdkErrorCode) },
  { section: "@weft/sandbox", codes: SANDBOX_ERRORS },
  {
    section: "@weft/runtime",
    codes: Object.fromEntries(Object.entries(RUNTIME_ERROR_CODES).map(([code, status]) => [code, { status }])),
  },
  { section: "@weft/runtime (loader)", codes: values(LoaderErrorCode) },
  { section: "@weft/store", codes: values(StoreErrorCode) },
  {
    section: "@weft/server",
    codes: Object.fromEntries(Object.values(ServerErrorCode).map((code) => [code, { status: serverStatuses[code] }])),
  },
  { section: "@weft/cli", codes: { [new PluginScaffoldError("").code]: {} } },
  { section: "@weft/plugin-core", codes: values(CoreErrorCode) },
  { section: "@weft/plugin-http", codes: values(HttpErrorCode) },
  { section: "@weft/plugin-jira", codes: values(JiraErrorCode) },
  { section: "@weft/plugin-slack", codes: values(SlackErrorCode) },
  { section: "@weft/plugin-tenable", codes: values(TenableErrorCode) },
];

/**
 * Codes more than one package lists, each reused for the same meaning. `owner` documents it; the
 * others raise it with that meaning. A new collision fails the test until it is renamed or added
 * here on purpose.
 */
const SHARED: Record<string, { owner: string; alsoIn: string[]; meaning: string }> = {
  WEFT_E_CONFIG_INVALID: {
    owner: "@weft/kernel",
    alsoIn: ["@weft/sdk"],
    meaning: "a node's config does not match its schema",
  },
  WEFT_E_OUTPUT_INVALID: {
    owner: "@weft/kernel",
    alsoIn: ["@weft/sdk"],
    meaning: "a node's output does not match its schema",
  },
  WEFT_E_INTERNAL: {
    owner: "@weft/kernel",
    alsoIn: ["@weft/server", "@weft/runtime"],
    meaning: "a fault of Weft itself (500)",
  },
  WEFT_E_INVALID_WORKFLOW: {
    owner: "@weft/kernel",
    alsoIn: ["@weft/runtime", "@weft/server"],
    meaning: "a workflow definition given to run or save fails graph validation",
  },
  WEFT_E_ROUTE_NOT_FOUND: {
    owner: "@weft/server",
    alsoIn: ["@weft/runtime"],
    meaning: "no route for the path (the API, or the worker's health server)",
  },
  WEFT_E_METHOD_NOT_ALLOWED: {
    owner: "@weft/server",
    alsoIn: ["@weft/runtime"],
    meaning: "the method is not served on that path (the API, or the worker's health server)",
  },
};

function definersByCode(): Map<string, { section: string; facts: CodeFacts }[]> {
  const byCode = new Map<string, { section: string; facts: CodeFacts }[]>();
  for (const registry of REGISTRIES) {
    for (const [code, facts] of Object.entries(registry.codes)) {
      byCode.set(code, [...(byCode.get(code) ?? []), { section: registry.section, facts }]);
    }
  }
  return byCode;
}

const docs = readFileSync(new URL("../docs/errors.md", import.meta.url), "utf8");

/** The text of each `## heading` section of docs/errors.md. */
function docSections(): Map<string, string> {
  const sections = new Map<string, string>();
  for (const part of docs.split(/^## /m).slice(1)) {
    const newline = part.indexOf("\n");
    sections.set(part.slice(0, newline).trim(), part.slice(newline + 1));
  }
  return sections;
}

describe("the WEFT_E_* error codes of every package", () => {
  it("are well-formed", () => {
    for (const registry of REGISTRIES) {
      for (const code of Object.keys(registry.codes)) expect(code, registry.section).toMatch(/^WEFT_E_[A-Z0-9_]+$/);
    }
  });

  it("mean one thing each: a code two packages define is a deliberate reuse with the same status", () => {
    const collisions: string[] = [];
    for (const [code, definers] of definersByCode()) {
      if (definers.length < 2) continue;
      const shared = SHARED[code];
      const sections = definers.map((d) => d.section).sort();
      if (shared === undefined || [shared.owner, ...shared.alsoIn].sort().join() !== sections.join()) {
        collisions.push(`${code} is defined by ${sections.join(", ")}`);
        continue;
      }
      const statuses = new Set(definers.flatMap((d) => (d.facts.status === undefined ? [] : [d.facts.status])));
      const retryable = new Set(definers.flatMap((d) => (d.facts.retryable === undefined ? [] : [d.facts.retryable])));
      if (statuses.size > 1) collisions.push(`${code} has HTTP statuses ${[...statuses].join(", ")}`);
      if (retryable.size > 1) collisions.push(`${code} is retryable in one package and not in another`);
    }
    expect(collisions).toEqual([]);
  });

  it("lists only codes that are still shared", () => {
    const byCode = definersByCode();
    for (const [code, shared] of Object.entries(SHARED)) {
      expect(
        byCode
          .get(code)
          ?.map((d) => d.section)
          .sort(),
        code,
      ).toEqual([shared.owner, ...shared.alsoIn].sort());
    }
  });

  it("are each documented in docs/errors.md, under the package that defines them", () => {
    const sections = docSections();
    const missing: string[] = [];
    for (const [code, definers] of definersByCode()) {
      const section = SHARED[code]?.owner ?? (definers[0] as { section: string }).section;
      const text = sections.get(section);
      if (text === undefined) missing.push(`${code}: docs/errors.md has no "## ${section}" section`);
      else if (!text.includes(`\`${code}\``)) missing.push(`${code}: not in the "## ${section}" section`);
    }
    expect(missing).toEqual([]);
  });

  it("have one row in the docs' tables each, unless deliberately shared", () => {
    const rows = new Map<string, string[]>();
    for (const [section, text] of docSections()) {
      for (const match of text.matchAll(/^\| `(WEFT_E_[A-Z0-9_]+)` \|/gm)) {
        const code = match[1] as string;
        rows.set(code, [...(rows.get(code) ?? []), section]);
      }
    }
    const twice = [...rows].filter(([code, sections]) => sections.length > 1 && SHARED[code] === undefined);
    expect(twice.map(([code, sections]) => `${code} in ${sections.join(", ")}`)).toEqual([]);
  });
});

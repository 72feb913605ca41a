// Normalised findings: the stable shape downstream nodes (filters, tickets, messages) rely on,
// independent of Tenable's export record layout. Tenable omits empty attributes, so every field
// here is explicitly null or [] when the record lacks it.
import { z } from "zod";

export const SEVERITIES = ["info", "low", "medium", "high", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

export const FINDING_STATES = ["open", "reopened", "fixed"] as const;

export const findingSchema = z.object({
  asset: z.object({
    id: z.string(),
    hostname: z.string().nullable(),
    ipv4: z.string().nullable(),
    fqdn: z.string().nullable(),
  }),
  plugin: z.object({ id: z.number(), name: z.string(), family: z.string().nullable() }),
  severity: z.enum(SEVERITIES),
  cvssV3: z.number().nullable(),
  cves: z.array(z.string()),
  state: z.enum(FINDING_STATES),
  firstFound: z.string().nullable(),
  lastFound: z.string().nullable(),
  port: z.number().nullable(),
  protocol: z.string().nullable(),
});

export type Finding = z.output<typeof findingSchema>;

export const countsSchema = z.object({
  critical: z.number().int(),
  high: z.number().int(),
  medium: z.number().int(),
  low: z.number().int(),
  info: z.number().int(),
});

export type SeverityCounts = z.output<typeof countsSchema>;

export function emptyCounts(): SeverityCounts {
  return { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
}

type Raw = Record<string, unknown>;

function record(value: unknown): Raw {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Raw) : {};
}

function text(value: unknown): string | null {
  if (typeof value === "string" && value !== "") return value;
  if (typeof value === "number") return String(value);
  return null;
}

function num(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function severityOf(value: unknown): Severity {
  const s = String(value ?? "").toLowerCase();
  return (SEVERITIES as readonly string[]).includes(s) ? (s as Severity) : "info";
}

/** Maps one raw export record to a finding, or undefined when it has no asset or plugin to name. */
export function normaliseFinding(raw: unknown): Finding | undefined {
  const r = record(raw);
  const asset = record(r["asset"]);
  const plugin = record(r["plugin"]);
  const port = record(r["port"]);
  const assetId = text(asset["uuid"]);
  const pluginId = num(plugin["id"]);
  if (assetId === null || pluginId === null) return undefined;
  const ipv4 = Array.isArray(asset["ipv4"]) ? text(asset["ipv4"][0]) : text(asset["ipv4"]);
  const state = String(r["state"] ?? "open").toLowerCase();
  const portNumber = num(port["port"]);
  return {
    asset: { id: assetId, hostname: text(asset["hostname"]), ipv4, fqdn: text(asset["fqdn"]) },
    plugin: { id: pluginId, name: text(plugin["name"]) ?? `Plugin ${pluginId}`, family: text(plugin["family"]) },
    severity: severityOf(r["severity"]),
    cvssV3: num(plugin["cvss3_base_score"]),
    cves: Array.isArray(plugin["cve"]) ? plugin["cve"].filter((c): c is string => typeof c === "string") : [],
    state: (FINDING_STATES as readonly string[]).includes(state) ? (state as Finding["state"]) : "open",
    firstFound: text(r["first_found"]),
    lastFound: text(r["last_found"]),
    // Port 0 is how Tenable reports host-level findings: keep it rather than calling it absent.
    port: portNumber,
    protocol: text(port["protocol"]),
  };
}

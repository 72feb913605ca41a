// tenable.launchScan and tenable.scanStatus. Waiting for a scan (hours, typically) suspends the run
// with a `delay` wait instead of holding a worker: each resume checks the scan's latest status once
// and suspends again until the scan reaches a terminal status.
import { defineNode, suspend } from "@weft/sdk";
import { z } from "zod";
import { TenableClient } from "./client.ts";
import { tenableCredential, tenableValues } from "./credential.ts";

/** Statuses after which a scan will not change on its own. */
export const TERMINAL_SCAN_STATUSES = ["completed", "canceled", "stopped", "aborted", "imported", "empty"];

const scanId = z
  .int()
  .positive()
  .meta({ title: "Scan ID", description: "The numeric id of the scan in Tenable.", order: 1 });
const waitForCompletion = z.boolean().default(false).meta({
  title: "Wait for completion",
  description: "Suspend the run (without holding a worker) until the scan finishes.",
  order: 3,
});
const pollIntervalSeconds = z.number().min(1).max(86_400).default(300).meta({
  title: "Check every (s)",
  description: "While waiting, how long the run sleeps between status checks.",
  order: 4,
});

const statusOutput = z.object({
  scanId: z.number().int(),
  scanUuid: z.string().nullable(),
  status: z.string(),
  /** True once the status is terminal (completed, canceled, stopped, aborted, imported, empty). */
  finished: z.boolean(),
  completed: z.boolean(),
});

type ScanStatusOutput = z.output<typeof statusOutput>;

interface Waiting {
  scanId: number;
  scanUuid: string | null;
}

function readWaiting(resume: unknown, scanId: number): Waiting {
  const r = (typeof resume === "object" && resume !== null ? resume : {}) as { scanUuid?: unknown };
  return { scanId, scanUuid: typeof r.scanUuid === "string" ? r.scanUuid : null };
}

async function latestStatus(client: TenableClient, waiting: Waiting): Promise<ScanStatusOutput> {
  const { status } = await client.json<{ status?: string }>("GET", `/scans/${waiting.scanId}/latest-status`);
  const value = status ?? "unknown";
  return {
    ...waiting,
    status: value,
    finished: TERMINAL_SCAN_STATUSES.includes(value),
    completed: value === "completed",
  };
}

function sleepUntilNextCheck(seconds: number, waiting: Waiting) {
  // The wait's data comes back as ctx.resume, so the next attempt knows what it is waiting for.
  return suspend({
    kind: "delay",
    until: new Date(Date.now() + seconds * 1000).toISOString(),
    data: { scanId: waiting.scanId, scanUuid: waiting.scanUuid },
  });
}

export const launchScan = defineNode({
  type: "tenable.launchScan",
  version: 1,
  category: "integration",
  title: "Launch a Tenable scan",
  description:
    "Launches an existing Tenable scan (POST /scans/{id}/launch), optionally against other targets, and optionally waits for it to finish by suspending the run.",
  icon: "tenable",
  credentials: [tenableCredential],
  config: z.object({
    scanId,
    targets: z.array(z.string().min(1)).optional().meta({
      title: "Alternative targets",
      description: "Scan these hosts/ranges instead of the scan's own.",
      order: 2,
    }),
    waitForCompletion,
    pollIntervalSeconds,
  }),
  output: statusOutput,
  examples: [
    {
      name: "launch scan 42 without waiting",
      config: { scanId: 42 },
      credentials: { type: "tenable", values: { accessKey: "ak-test", secretKey: "sk-test" } },
    },
  ],
  strategy: {
    async execute(ctx) {
      const client = new TenableClient(await tenableValues(ctx.credentials), ctx);
      const cfg = ctx.config;
      if (ctx.resume !== undefined) {
        // Resumed after a delay: the scan was launched by an earlier attempt; only check on it.
        const state = await latestStatus(client, readWaiting(ctx.resume, cfg.scanId));
        return state.finished ? state : sleepUntilNextCheck(cfg.pollIntervalSeconds, state);
      }
      const body = cfg.targets?.length ? { alt_targets: cfg.targets } : {};
      // Launching is not idempotent: a 5xx goes back to the kernel's retry policy, not an inline retry.
      const { scan_uuid } = await client.json<{ scan_uuid?: string }>("POST", `/scans/${cfg.scanId}/launch`, { body });
      const waiting: Waiting = { scanId: cfg.scanId, scanUuid: scan_uuid ?? null };
      ctx.logger.info(`launched scan ${cfg.scanId} (${waiting.scanUuid ?? "no uuid"})`);
      if (cfg.waitForCompletion) return sleepUntilNextCheck(cfg.pollIntervalSeconds, waiting);
      return { ...waiting, status: "pending", finished: false, completed: false };
    },
  },
});

export const scanStatus = defineNode({
  type: "tenable.scanStatus",
  version: 1,
  category: "integration",
  title: "Tenable scan status",
  description:
    "Reads the latest status of a Tenable scan; optionally waits (suspending the run) until the scan reaches a terminal status.",
  icon: "tenable",
  credentials: [tenableCredential],
  config: z.object({ scanId, waitForCompletion, pollIntervalSeconds }),
  output: statusOutput,
  examples: [
    {
      name: "status of scan 42",
      config: { scanId: 42 },
      credentials: { type: "tenable", values: { accessKey: "ak-test", secretKey: "sk-test" } },
      expect: { output: { scanId: 42, scanUuid: null, status: "completed", finished: true, completed: true } },
    },
  ],
  strategy: {
    async execute(ctx) {
      const client = new TenableClient(await tenableValues(ctx.credentials), ctx);
      const state = await latestStatus(client, readWaiting(ctx.resume, ctx.config.scanId));
      if (ctx.config.waitForCompletion && !state.finished) {
        return sleepUntilNextCheck(ctx.config.pollIntervalSeconds, state);
      }
      return state;
    },
  },
});

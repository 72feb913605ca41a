// tenable.exportVulnerabilities: start a vulnerability export, poll it with backoff, and download
// chunks as soon as they are listed (they finish out of order, with non-sequential ids), with bounded
// concurrency. Each chunk is normalised as it arrives and its raw records dropped, so a large
// export is never held twice in memory. A cancelled or timed-out attempt cancels the export.
import { abortableSleep, defineNode, type HttpCallContext, NodeError, readJsonBody } from "@weft/sdk";
import { z } from "zod";
import { TenableClient } from "./client.ts";
import { tenableCredential, tenableValues } from "./credential.ts";
import { TenableErrorCode, tenableService } from "./errors.ts";
import {
  countsSchema,
  emptyCounts,
  FINDING_STATES,
  type Finding,
  findingSchema,
  normaliseFinding,
  SEVERITIES,
} from "./findings.ts";

const config = z
  .object({
    severity: z
      .array(z.enum(SEVERITIES))
      .min(1)
      .default(["critical", "high"])
      .meta({ title: "Severities", description: "Only findings of these severities.", order: 1 }),
    state: z
      .array(z.enum(FINDING_STATES))
      .min(1)
      .default(["open", "reopened"])
      .meta({ title: "States", description: "Only findings in these states.", order: 2 }),
    since: z
      .union([z.iso.datetime({ offset: true }), z.int().nonnegative()])
      .optional()
      .meta({
        title: "Since",
        description: "Only findings seen, fixed or changed since this time (ISO-8601 or Unix seconds).",
        order: 3,
      }),
    pluginFamily: z
      .array(z.string().min(1))
      .optional()
      .meta({ title: "Plugin families", description: "e.g. Windows, Web Servers. All families when empty.", order: 4 }),
    cvssV3: z
      .object({
        min: z.number().min(0).max(10).optional().meta({ title: "Minimum" }),
        max: z.number().min(0).max(10).optional().meta({ title: "Maximum" }),
      })
      .refine((range) => range.min === undefined || range.max === undefined || range.min <= range.max, {
        message: "min must not be greater than max",
      })
      .optional()
      .meta({
        title: "CVSS v3 base score range",
        description:
          "Keep findings whose CVSS v3 base score lies in this range (inclusive); findings without a score are dropped. Applied to each chunk as it arrives.",
        order: 5,
      }),
    numAssets: z
      .int()
      .min(50)
      .max(5000)
      .default(50)
      .meta({ title: "Assets per chunk", description: "Tenable's num_assets: assets per export chunk.", order: 6 }),
    chunkConcurrency: z.int().min(1).max(10).default(3).meta({ title: "Parallel chunk downloads", order: 7 }),
    pollIntervalSeconds: z
      .number()
      .min(0.01)
      .max(300)
      .default(5)
      .meta({ title: "First poll interval (s)", description: "Grows by half after each poll.", order: 8 }),
    maxPollIntervalSeconds: z
      .number()
      .min(0.01)
      .max(600)
      .default(60)
      .meta({ title: "Longest poll interval (s)", order: 9 }),
    deadlineSeconds: z
      .int()
      .min(1)
      .default(3600)
      .meta({ title: "Deadline (s)", description: "Give up (and cancel the export) after this long.", order: 10 }),
  })
  .meta({ title: "Export vulnerabilities" });

const output = z.object({
  exportUuid: z.string(),
  findings: z.array(findingSchema),
  counts: countsSchema,
});

type Config = z.output<typeof config>;

interface ExportStatus {
  status?: string;
  chunks_available?: number[];
}

/** The `POST /vulns/export` body for a config. */
export function exportRequest(cfg: Config): Record<string, unknown> {
  const filters: Record<string, unknown> = {
    severity: cfg.severity,
    state: cfg.state.map((s) => s.toUpperCase()),
  };
  if (cfg.since !== undefined) {
    filters["since"] = typeof cfg.since === "number" ? cfg.since : Math.floor(Date.parse(cfg.since) / 1000);
  }
  if (cfg.pluginFamily?.length) filters["plugin_family"] = cfg.pluginFamily;
  return { num_assets: cfg.numAssets, filters };
}

function inRange(finding: Finding, range: Config["cvssV3"]): boolean {
  if (!range || (range.min === undefined && range.max === undefined)) return true;
  if (finding.cvssV3 === null) return false;
  return (
    (range.min === undefined || finding.cvssV3 >= range.min) && (range.max === undefined || finding.cvssV3 <= range.max)
  );
}

/** Runs `task` over `items` with at most `limit` in flight; the first failure rejects. */
async function eachLimited<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

async function startExport(
  client: TenableClient,
  call: HttpCallContext & { logger: { info(m: string): void } },
  cfg: Config,
) {
  const response = await client.request("POST", "/vulns/export", { body: exportRequest(cfg), accept: [409] });
  const body = await readJsonBody<{ export_uuid?: string; active_job_id?: string }>(
    response,
    tenableService,
    "POST /vulns/export",
  );
  // 409: an identical export is already running (typically our own previous attempt): reuse it.
  const uuid = response.status === 409 ? body.active_job_id : body.export_uuid;
  if (!uuid) {
    throw new NodeError(TenableErrorCode.BadResponse, "Tenable did not return an export id", {
      details: { status: response.status },
    });
  }
  if (response.status === 409) call.logger.info(`reusing the identical export already running: ${uuid}`);
  return uuid;
}

async function cancelExport(client: TenableClient, uuid: string, call: HttpCallContext): Promise<void> {
  try {
    // The attempt's own signal is aborted by now; the cancel gets a short budget of its own.
    await client.request("POST", `/vulns/export/${uuid}/cancel`, {
      signal: AbortSignal.timeout(10_000),
      idempotent: true,
    });
  } catch (error) {
    call.logger.warn(`could not cancel export ${uuid}: ${(error as Error).message}`);
  }
}

export const exportVulnerabilities = defineNode({
  type: "tenable.exportVulnerabilities",
  version: 1,
  category: "integration",
  title: "Export Tenable vulnerabilities",
  description:
    "Exports vulnerability findings from Tenable Vulnerability Management (filtered by severity, state, time, plugin family and CVSS v3), waits for the export, downloads every chunk and outputs normalised findings with counts by severity.",
  icon: "tenable",
  credentials: [tenableCredential],
  config,
  output,
  examples: [
    {
      name: "critical and high open findings",
      config: { severity: ["critical", "high"], state: ["open", "reopened"], pollIntervalSeconds: 0.05 },
      credentials: { type: "tenable", values: { accessKey: "ak-test", secretKey: "sk-test" } },
    },
  ],
  strategy: {
    async execute(ctx) {
      const cfg = ctx.config;
      const client = new TenableClient(await tenableValues(ctx.credentials), ctx);
      const uuid = await startExport(client, ctx, cfg);
      const deadline = Date.now() + cfg.deadlineSeconds * 1000;
      const fetched = new Set<number>();
      const findings: Finding[] = [];
      const counts = emptyCounts();
      let interval = cfg.pollIntervalSeconds * 1000;

      const download = async (id: number) => {
        const response = await client.request("GET", `/vulns/export/${uuid}/chunks/${id}`, { accept: [400, 404] });
        if (response.status === 400) {
          await response.body?.cancel();
          return; // listed but not ready yet: picked up on a later poll
        }
        if (response.status === 404) {
          await response.body?.cancel();
          throw new NodeError(TenableErrorCode.ChunkExpired, `chunk ${id} of export ${uuid} is gone (expired?)`, {
            retryable: true,
            details: { exportUuid: uuid, chunk: id },
          });
        }
        const records = await readJsonBody<unknown>(response, tenableService, `chunk ${id}`);
        if (!Array.isArray(records)) {
          throw new NodeError(TenableErrorCode.BadResponse, `chunk ${id} of export ${uuid} is not a JSON array`);
        }
        for (const raw of records) {
          const finding = normaliseFinding(raw);
          if (!finding || !inRange(finding, cfg.cvssV3)) continue;
          findings.push(finding);
          counts[finding.severity]++;
        }
        fetched.add(id);
      };

      try {
        for (;;) {
          const status = await client.json<ExportStatus>("GET", `/vulns/export/${uuid}/status`);
          const pending = (status.chunks_available ?? []).filter((id) => !fetched.has(id));
          await eachLimited(pending, cfg.chunkConcurrency, download);
          const left = (status.chunks_available ?? []).filter((id) => !fetched.has(id));
          if (status.status === "FINISHED" && left.length === 0) break;
          if (status.status === "ERROR" || status.status === "CANCELLED") {
            throw new NodeError(TenableErrorCode.ExportFailed, `Tenable export ${uuid} ended ${status.status}`, {
              retryable: status.status === "ERROR",
              details: { exportUuid: uuid, status: status.status },
            });
          }
          const remaining = deadline - Date.now();
          if (remaining <= 0) {
            await cancelExport(client, uuid, ctx);
            throw new NodeError(
              TenableErrorCode.ExportDeadline,
              `Tenable export ${uuid} did not finish within ${cfg.deadlineSeconds} s (last status ${status.status ?? "unknown"}); it was cancelled`,
              { details: { exportUuid: uuid, status: status.status ?? null, chunksDownloaded: fetched.size } },
            );
          }
          await abortableSleep(Math.min(interval, remaining), ctx.signal);
          interval = Math.min(interval * 1.5, cfg.maxPollIntervalSeconds * 1000);
        }
      } catch (error) {
        if (ctx.signal.aborted) await cancelExport(client, uuid, ctx);
        throw error;
      }
      ctx.logger.info(`export ${uuid}: ${findings.length} findings in ${fetched.size} chunks`);
      return { exportUuid: uuid, findings, counts };
    },
  },
});

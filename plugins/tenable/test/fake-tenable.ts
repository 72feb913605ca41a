// A local stand-in for the Tenable Vulnerability Management API, faithful to the behaviours the
// plugin depends on: lenient `X-ApiKeys` parsing, vulnerability exports with out-of-order,
// non-sequential chunk ids (and an empty chunk), 409 on a duplicate running export, chunk 400/404,
// 429 with `retry-after` and an HTML body, export cancel, scan launch and scan status.
// Tests steer it through the public fields and `inject()`.
import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import { FakeService, type RecordedRequest, sendJson } from "@weft/sdk/testing";

/** One raw vulnerability record as `GET /vulns/export/{uuid}/chunks/{id}` returns it. */
export type RawVulnerability = Record<string, unknown> & {
  asset: { uuid: string; hostname?: string; ipv4?: string; fqdn?: string };
  plugin: { id: number; name: string; family: string; cvss3_base_score?: number; cve?: string[] };
  port?: { port: number; protocol: string };
  severity: "info" | "low" | "medium" | "high" | "critical";
  state: "OPEN" | "REOPENED" | "FIXED";
  first_found: string;
  last_found: string;
};

interface ExportJob {
  uuid: string;
  request: string;
  status: "QUEUED" | "PROCESSING" | "FINISHED" | "CANCELLED" | "ERROR";
  chunks: Map<number, RawVulnerability[]>;
  /** Chunk ids in the order they become available (deliberately not ascending). */
  order: number[];
  polls: number;
}

interface FakeScan {
  id: number;
  name: string;
  status: string;
  launches: number;
  /** Status polls after a launch before the scan reports `completed`. */
  pollsUntilCompleted: number;
  polls: number;
}

const HTML_429 =
  "<html><head><title>429 Too Many Requests</title></head><body><h1>Too Many Requests</h1></body></html>";

/** Builds `count` deterministic raw findings spread over `assets` assets. */
export function sampleVulnerabilities(count = 12, assets = 4): RawVulnerability[] {
  const severities = ["critical", "high", "medium", "low", "info"] as const;
  const families = ["Windows", "Web Servers", "Ubuntu Local Security Checks"];
  const out: RawVulnerability[] = [];
  for (let i = 0; i < count; i++) {
    const a = i % assets;
    const severity = severities[i % severities.length]!;
    const record: RawVulnerability = {
      asset: {
        uuid: `00000000-0000-4000-8000-00000000000${a}`,
        hostname: `host-${a}.corp.example`,
        ipv4: `10.0.0.${a + 10}`,
        fqdn: `host-${a}.corp.example`,
      },
      plugin: {
        id: 100000 + i,
        name: `Example vulnerability ${i}`,
        family: families[i % families.length]!,
        cvss3_base_score: [9.8, 7.5, 5.3, 3.1, 0][i % 5]!,
        cve: i % 5 === 4 ? undefined : [`CVE-2024-${1000 + i}`],
      },
      port: { port: i % 2 === 0 ? 443 : 22, protocol: "TCP" },
      severity,
      state: i % 7 === 6 ? "FIXED" : i % 3 === 2 ? "REOPENED" : "OPEN",
      first_found: "2024-05-01T10:00:00.000Z",
      last_found: "2024-06-01T10:00:00.000Z",
    };
    // Tenable omits empty attributes instead of sending null/[].
    if (record.plugin.cve === undefined) delete record.plugin.cve;
    if (i % 4 === 3) delete record.asset.hostname;
    out.push(record);
  }
  return out;
}

export class FakeTenable extends FakeService {
  accessKey = "ak-test";
  secretKey = "sk-test";
  vulnerabilities: RawVulnerability[] = sampleVulnerabilities();
  /** Status polls answered QUEUED/PROCESSING before an export finishes. */
  pollsUntilFinished = 2;
  /** How an export ends once its polls are used up. */
  finalStatus: "FINISHED" | "ERROR" | "CANCELLED" = "FINISHED";
  /** Add an empty chunk to every export (Tenable does this when a chunk's assets have no findings). */
  emptyChunk = true;
  readonly exports = new Map<string, ExportJob>();
  readonly scans = new Map<number, FakeScan>([
    [42, { id: 42, name: "Weekly perimeter", status: "completed", launches: 0, pollsUntilCompleted: 1, polls: 0 }],
  ]);

  /** Answer the next `times` requests to `path` with 429 `retry-after: seconds` and an HTML body. */
  rateLimit(path: string | RegExp, seconds: number, times = 1, method?: string): void {
    this.inject({
      method,
      path,
      times,
      status: 429,
      headers: { "retry-after": String(seconds), "content-type": "text/html" },
      body: HTML_429,
    });
  }

  protected override answerMalformedBody(res: ServerResponse) {
    sendJson(res, 400, { statusCode: 400, error: "Bad Request", message: "Invalid JSON body" });
  }

  protected override answerFailure(res: ServerResponse, error: unknown) {
    sendJson(res, 500, { statusCode: 500, error: "Internal Server Error", message: String(error) });
  }

  protected route(request: RecordedRequest, res: ServerResponse) {
    const { method, path, body } = request;
    if (!this.authorised(request.headers["x-apikeys"])) {
      return sendJson(res, 401, { statusCode: 401, error: "Unauthorized", message: "Invalid Credentials" });
    }

    const match = (pattern: RegExp) => path.match(pattern);
    let m: RegExpMatchArray | null = null;
    if (method === "POST" && path === "/vulns/export") return this.startExport(res, body);
    m = method === "GET" ? match(/^\/vulns\/export\/([^/]+)\/status$/) : null;
    if (m) {
      return this.exportStatus(res, m[1]!);
    }
    m = method === "GET" ? match(/^\/vulns\/export\/([^/]+)\/chunks\/([^/]+)$/) : null;
    if (m) {
      return this.chunk(res, m[1]!, Number(m[2]));
    }
    m = method === "POST" ? match(/^\/vulns\/export\/([^/]+)\/cancel$/) : null;
    if (m) {
      const job = this.exports.get(m[1]!);
      if (!job) return notFound(res);
      if (job.status === "QUEUED" || job.status === "PROCESSING") job.status = "CANCELLED";
      return sendJson(res, 200, { status: job.status });
    }
    m = method === "POST" ? match(/^\/scans\/(\d+)\/launch$/) : null;
    if (m) {
      const scan = this.scans.get(Number(m[1]));
      if (!scan) return notFound(res);
      if (scan.status === "running" || scan.status === "pending") {
        return sendJson(res, 409, { statusCode: 409, error: "Conflict", message: "Scan is already running" });
      }
      scan.launches++;
      scan.status = "pending";
      scan.polls = 0;
      return sendJson(res, 200, { scan_uuid: randomUUID() });
    }
    m = method === "GET" ? match(/^\/scans\/(\d+)\/latest-status$/) : null;
    if (m) {
      const scan = this.scans.get(Number(m[1]));
      if (!scan) return notFound(res);
      if (scan.status === "pending" || scan.status === "running") {
        scan.polls++;
        scan.status = scan.polls > scan.pollsUntilCompleted ? "completed" : "running";
      }
      return sendJson(res, 200, { status: scan.status });
    }
    return notFound(res);
  }

  private authorised(header: string | string[] | undefined): boolean {
    if (typeof header !== "string") return false;
    const keys = new Map<string, string>();
    for (const part of header.split(";")) {
      const eq = part.indexOf("=");
      if (eq < 0) continue;
      keys.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
    }
    return keys.get("accessKey") === this.accessKey && keys.get("secretKey") === this.secretKey;
  }

  private startExport(res: ServerResponse, body: unknown) {
    const request = (body ?? {}) as { num_assets?: number; filters?: Record<string, unknown> };
    const numAssets = request.num_assets ?? 50;
    if (!Number.isInteger(numAssets) || numAssets < 50 || numAssets > 5000) {
      // The real API's bounds; the fake scales chunks down so tests still get several chunks.
      return sendJson(res, 400, {
        statusCode: 400,
        error: "Bad Request",
        message: "num_assets must be between 50 and 5000",
      });
    }
    const key = JSON.stringify(request);
    for (const job of this.exports.values()) {
      if (job.request === key && (job.status === "QUEUED" || job.status === "PROCESSING")) {
        return sendJson(res, 409, {
          active_job_id: job.uuid,
          failure_reason:
            "Duplicate export not allowed. Please modify request or wait until existing export completes.",
        });
      }
    }
    const selected = this.vulnerabilities.filter((v) => matchesFilters(v, request.filters ?? {}));
    // One asset per chunk keeps chunking visible with a handful of records.
    const byAsset = new Map<string, RawVulnerability[]>();
    for (const v of selected) byAsset.set(v.asset.uuid, [...(byAsset.get(v.asset.uuid) ?? []), v]);
    const chunks = new Map<number, RawVulnerability[]>();
    let id = 1;
    for (const records of byAsset.values()) {
      chunks.set(id, records);
      id += 2; // ids are not sequential
    }
    if (this.emptyChunk) chunks.set(id, []);
    const job: ExportJob = {
      uuid: randomUUID(),
      request: key,
      status: "QUEUED",
      chunks,
      order: [...chunks.keys()].reverse(), // chunks finish out of order
      polls: 0,
    };
    this.exports.set(job.uuid, job);
    sendJson(res, 200, { export_uuid: job.uuid });
  }

  private exportStatus(res: ServerResponse, uuid: string) {
    const job = this.exports.get(uuid);
    if (!job) return notFound(res);
    if (job.status === "QUEUED" || job.status === "PROCESSING") {
      job.polls++;
      if (job.polls > this.pollsUntilFinished) job.status = this.finalStatus;
      else if (job.polls > 1) job.status = "PROCESSING";
    }
    const ready =
      job.status === "FINISHED"
        ? job.order
        : job.status === "PROCESSING"
          ? job.order.slice(0, Math.ceil(job.order.length / 2))
          : [];
    sendJson(res, 200, {
      uuid: job.uuid,
      status: job.status,
      chunks_available: ready,
      chunks_failed: [],
      chunks_cancelled: [],
      total_chunks: job.chunks.size,
      chunks_available_count: ready.length,
      finished_chunks: ready.length,
      num_assets_per_chunk: 50,
      created: Date.now(),
    });
  }

  private chunk(res: ServerResponse, uuid: string, id: number) {
    const job = this.exports.get(uuid);
    const records = job?.chunks.get(id);
    if (!job || !records || job.status === "CANCELLED" || job.status === "ERROR") return notFound(res);
    const ready = job.status === "FINISHED" || job.order.slice(0, Math.ceil(job.order.length / 2)).includes(id);
    if (job.status === "QUEUED" || !ready) {
      return sendJson(res, 400, { statusCode: 400, error: "Bad Request", message: `Chunk ${id} is not ready` });
    }
    sendJson(res, 200, records);
  }
}

function matchesFilters(v: RawVulnerability, filters: Record<string, unknown>): boolean {
  const list = (key: string) => (Array.isArray(filters[key]) ? (filters[key] as unknown[]).map(String) : undefined);
  const severity = list("severity");
  if (severity && !severity.includes(v.severity)) return false;
  const state = list("state")?.map((s) => s.toUpperCase());
  if (state && !state.includes(v.state)) return false;
  const family = list("plugin_family");
  if (family && !family.includes(v.plugin.family)) return false;
  if (typeof filters["since"] === "number" && Date.parse(v.last_found) / 1000 < filters["since"]) return false;
  return true;
}

function notFound(res: ServerResponse) {
  sendJson(res, 404, { statusCode: 404, error: "Not Found", message: "Not Found" });
}

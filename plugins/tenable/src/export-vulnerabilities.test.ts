import { runNode } from "@weft/sdk/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeTenable, sampleVulnerabilities } from "../test/fake-tenable.ts";
import { exportVulnerabilities } from "./export-vulnerabilities.ts";

let fake: FakeTenable;
beforeEach(async () => {
  fake = new FakeTenable();
  await fake.start();
});
afterEach(() => fake.close());

const credentials = () => ({
  type: "tenable",
  values: { accessKey: "ak-test", secretKey: "sk-test", baseUrl: fake.url },
});
const fast = { pollIntervalSeconds: 0.02, maxPollIntervalSeconds: 0.05 };

function succeeded(outcome: Awaited<ReturnType<typeof runNode>>["outcome"]) {
  if (outcome.status !== "succeeded") throw new Error(`expected success, got ${JSON.stringify(outcome)}`);
  return outcome.output as {
    exportUuid: string;
    findings: {
      asset: { id: string; hostname: string | null };
      severity: string;
      cves: string[];
      cvssV3: number | null;
    }[];
    counts: Record<string, number>;
  };
}

function failed(outcome: Awaited<ReturnType<typeof runNode>>["outcome"]) {
  if (outcome.status !== "failed") throw new Error(`expected failure, got ${JSON.stringify(outcome)}`);
  return outcome.error;
}

describe("tenable.exportVulnerabilities", () => {
  it("exports, downloads every chunk (out of order, non-sequential, one empty) and normalises the findings", async () => {
    const { outcome } = await runNode(exportVulnerabilities, { config: { ...fast }, credentials: credentials() });
    const output = succeeded(outcome);
    const expected = sampleVulnerabilities().filter(
      (v) => (v.severity === "critical" || v.severity === "high") && v.state !== "FIXED",
    );
    expect(output.findings).toHaveLength(expected.length);
    expect(output.counts).toEqual({
      critical: expected.filter((v) => v.severity === "critical").length,
      high: expected.filter((v) => v.severity === "high").length,
      medium: 0,
      low: 0,
      info: 0,
    });
    const job = fake.exports.get(output.exportUuid)!;
    const chunkCalls = fake.calls("GET", /\/chunks\//).map((r) => Number(r.path.split("/").at(-1)));
    expect(new Set(chunkCalls)).toEqual(new Set(job.chunks.keys()));
    expect([...job.chunks.values()].some((records) => records.length === 0)).toBe(true);
    const [start] = fake.calls("POST", "/vulns/export");
    expect(start?.body).toEqual({
      num_assets: 50,
      filters: { severity: ["critical", "high"], state: ["OPEN", "REOPENED"] },
    });
    const sample = output.findings.find((f) => f.asset.id.endsWith("0"))!;
    expect(sample).toMatchObject({ severity: "critical", cvssV3: 9.8, cves: ["CVE-2024-1000"] });
    expect(sample.asset.hostname).toBe("host-0.corp.example");
  });

  it("fills attributes Tenable omitted with null or []", async () => {
    fake.vulnerabilities = [
      {
        asset: { uuid: "a-1" },
        plugin: { id: 1, name: "n", family: "f" },
        severity: "high",
        state: "OPEN",
        first_found: "2024-01-01T00:00:00Z",
        last_found: "2024-01-02T00:00:00Z",
      },
    ];
    const output = succeeded(
      (await runNode(exportVulnerabilities, { config: fast, credentials: credentials() })).outcome,
    );
    expect(output.findings[0]).toEqual({
      asset: { id: "a-1", hostname: null, ipv4: null, fqdn: null },
      plugin: { id: 1, name: "n", family: "f" },
      severity: "high",
      cvssV3: null,
      cves: [],
      state: "open",
      firstFound: "2024-01-01T00:00:00Z",
      lastFound: "2024-01-02T00:00:00Z",
      port: null,
      protocol: null,
    });
  });

  it("sends since and plugin families as filters and applies the CVSS v3 range to each chunk", async () => {
    const { outcome } = await runNode(exportVulnerabilities, {
      config: {
        ...fast,
        severity: ["critical", "high", "medium"],
        since: "2024-05-01T00:00:00Z",
        pluginFamily: ["Windows", "Web Servers"],
        cvssV3: { min: 7, max: 9 },
      },
      credentials: credentials(),
    });
    const output = succeeded(outcome);
    expect(fake.calls("POST", "/vulns/export")[0]?.body).toMatchObject({
      filters: { since: 1714521600, plugin_family: ["Windows", "Web Servers"] },
    });
    expect(output.findings.length).toBeGreaterThan(0);
    for (const f of output.findings) expect(f.cvssV3).toBeGreaterThanOrEqual(7);
    for (const f of output.findings) expect(f.cvssV3).toBeLessThanOrEqual(9);
  });

  it("reuses the identical export already running (409 active_job_id) instead of failing", async () => {
    fake.pollsUntilFinished = 3;
    const body = { num_assets: 50, filters: { severity: ["critical", "high"], state: ["OPEN", "REOPENED"] } };
    const first = await fetch(`${fake.url}/vulns/export`, {
      method: "POST",
      headers: { "x-apikeys": "accessKey=ak-test;secretKey=sk-test", "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const { export_uuid } = (await first.json()) as { export_uuid: string };
    const output = succeeded(
      (await runNode(exportVulnerabilities, { config: fast, credentials: credentials() })).outcome,
    );
    expect(output.exportUuid).toBe(export_uuid);
    expect(fake.exports.size).toBe(1);
  });

  it("fails with a non-retryable auth error on 401, without retrying", async () => {
    const { outcome, attempts } = await runNode(exportVulnerabilities, {
      config: fast,
      credentials: { type: "tenable", values: { accessKey: "ak-test", secretKey: "wrong", baseUrl: fake.url } },
      retry: { maxAttempts: 3 },
    });
    expect(failed(outcome)).toMatchObject({ code: "WEFT_E_AUTH", retryable: false });
    expect(attempts).toBe(1);
  });

  it("fails with a retryable typed error when a listed chunk is gone (404)", async () => {
    fake.inject({
      method: "GET",
      path: /\/chunks\//,
      status: 404,
      body: JSON.stringify({ statusCode: 404, error: "Not Found", message: "Not Found" }),
    });
    const error = failed((await runNode(exportVulnerabilities, { config: fast, credentials: credentials() })).outcome);
    expect(error).toMatchObject({ code: "WEFT_E_TENABLE_CHUNK_EXPIRED", retryable: true });
  });

  it("waits out a 429 Retry-After inside the attempt and succeeds", async () => {
    fake.rateLimit("/vulns/export", 1, 1, "POST");
    const { outcome, attempts } = await runNode(exportVulnerabilities, { config: fast, credentials: credentials() });
    succeeded(outcome);
    expect(attempts).toBe(1);
    expect(fake.calls("POST", "/vulns/export")).toHaveLength(2);
  });

  it("hands a long Retry-After back to the kernel as the retry delay", async () => {
    fake.rateLimit("/vulns/export", 120, 1, "POST");
    const { outcome, attempts, retryDelays } = await runNode(exportVulnerabilities, {
      config: fast,
      credentials: credentials(),
      retry: { maxAttempts: 2 },
    });
    succeeded(outcome);
    expect(attempts).toBe(2);
    expect(retryDelays).toEqual([120_000]);
  });

  it("retries 5xx on status polls inside the attempt, and a 5xx on start through the retry policy", async () => {
    fake.inject({ method: "GET", path: /\/status$/, status: 503, body: "<html>Service Unavailable</html>", times: 2 });
    fake.inject({ method: "POST", path: "/vulns/export", status: 502, body: "<html>Bad Gateway</html>" });
    const { outcome, attempts } = await runNode(exportVulnerabilities, {
      config: fast,
      credentials: credentials(),
      retry: { maxAttempts: 2 },
    });
    succeeded(outcome);
    expect(attempts).toBe(2);
  });

  it("fails clearly when the export ends in ERROR or CANCELLED", async () => {
    fake.finalStatus = "ERROR";
    const error = failed((await runNode(exportVulnerabilities, { config: fast, credentials: credentials() })).outcome);
    expect(error).toMatchObject({ code: "WEFT_E_TENABLE_EXPORT_FAILED", retryable: true });
    expect(error.message).toContain("ERROR");
    fake.finalStatus = "CANCELLED";
    const cancelled = failed(
      (await runNode(exportVulnerabilities, { config: fast, credentials: credentials() })).outcome,
    );
    expect(cancelled).toMatchObject({ code: "WEFT_E_TENABLE_EXPORT_FAILED", retryable: false });
  });

  it("gives up after the deadline and cancels the export", async () => {
    fake.pollsUntilFinished = Number.POSITIVE_INFINITY;
    const error = failed(
      (await runNode(exportVulnerabilities, { config: { ...fast, deadlineSeconds: 1 }, credentials: credentials() }))
        .outcome,
    );
    expect(error).toMatchObject({ code: "WEFT_E_TENABLE_EXPORT_DEADLINE", retryable: false });
    expect(fake.calls("POST", /\/cancel$/)).toHaveLength(1);
    expect([...fake.exports.values()][0]?.status).toBe("CANCELLED");
  });

  it("rejects invalid config with a validation error naming the field", async () => {
    // A literal bad value is caught when the workflow is validated, before anything runs...
    const early = await runNode(exportVulnerabilities, {
      config: { severity: ["urgent" as "high"] },
      credentials: credentials(),
    });
    expect(failed(early.outcome)).toMatchObject({ code: "WEFT_E_CONFIG_INVALID", retryable: false });
    expect(failed(early.outcome).message).toContain("severity");
    expect(early.attempts).toBe(0);
    // ...and one that only appears once templates resolve fails the attempt without retrying.
    const { outcome, attempts } = await runNode(exportVulnerabilities, {
      config: { severity: "{{ $input.severities }}", numAssets: "{{ $input.numAssets }}" },
      input: { severities: ["urgent"], numAssets: 10 },
      credentials: credentials(),
      retry: { maxAttempts: 3 },
    });
    const error = failed(outcome);
    expect(error).toMatchObject({ code: "WEFT_E_CONFIG_INVALID", retryable: false });
    expect(JSON.stringify(error)).toContain("severity");
    expect(JSON.stringify(error)).toContain("numAssets");
    expect(attempts).toBe(1);
    expect(fake.requests).toHaveLength(0);
  });

  it("cancels the Tenable export when the run is cancelled mid-download", async () => {
    fake.inject({ method: "GET", path: /\/chunks\//, hang: true });
    const controller = new AbortController();
    const watcher = setInterval(() => {
      if (fake.calls("GET", /\/chunks\//).length > 0) controller.abort();
    }, 5);
    try {
      const { outcome } = await runNode(exportVulnerabilities, {
        config: fast,
        credentials: credentials(),
        signal: controller.signal,
      });
      expect(outcome.status).toBe("cancelled");
    } finally {
      clearInterval(watcher);
    }
    await expect.poll(() => fake.calls("POST", /\/cancel$/).length).toBe(1);
    expect([...fake.exports.values()][0]?.status).toBe("CANCELLED");
  });
});

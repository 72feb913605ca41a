import { runNode } from "@weft/sdk/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeTenable } from "../test/fake-tenable.ts";
import { launchScan, scanStatus } from "./scans.ts";

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

describe("tenable.launchScan", () => {
  it("launches the scan and returns at once when not waiting", async () => {
    const { outcome } = await runNode(launchScan, {
      config: { scanId: 42, targets: ["10.0.0.0/24"] },
      credentials: credentials(),
    });
    expect(outcome).toMatchObject({ status: "succeeded", output: { scanId: 42, status: "pending", finished: false } });
    expect(fake.scans.get(42)?.launches).toBe(1);
    expect(fake.calls("POST", "/scans/42/launch")[0]?.body).toEqual({ alt_targets: ["10.0.0.0/24"] });
  });

  it("suspends the run instead of blocking while the scan runs, and finishes on a later resume", async () => {
    const first = await runNode(launchScan, {
      config: { scanId: 42, waitForCompletion: true },
      credentials: credentials(),
    });
    expect(first.outcome.status).toBe("suspended");
    if (first.outcome.status === "suspended") {
      expect(first.outcome.wait).toMatchObject({ kind: "delay", data: { scanId: 42 } });
      expect(typeof first.outcome.wait.until).toBe("string");
    }

    fake.scans.get(42)!.status = "completed";
    fake.scans.get(42)!.launches = 0;
    const { outcome, attempts } = await runNode(launchScan, {
      config: { scanId: 42, waitForCompletion: true },
      credentials: credentials(),
      resume: {
        payloads: [
          { scanId: 42, scanUuid: "u-1" },
          { scanId: 42, scanUuid: "u-1" },
        ],
      },
    });
    // launch → suspended, resume → still running → suspended, resume → completed
    expect(outcome).toMatchObject({
      status: "succeeded",
      output: { scanId: 42, scanUuid: "u-1", status: "completed", finished: true, completed: true },
    });
    expect(attempts).toBe(3);
    expect(fake.scans.get(42)?.launches).toBe(1);
  });

  it("fails with WEFT_E_REMOTE_NOT_FOUND for an unknown scan", async () => {
    const { outcome } = await runNode(launchScan, { config: { scanId: 7 }, credentials: credentials() });
    expect(outcome).toMatchObject({ status: "failed", error: { code: "WEFT_E_REMOTE_NOT_FOUND", retryable: false } });
  });

  it("does not retry a launch inline on 5xx but lets the retry policy try again", async () => {
    fake.inject({ method: "POST", path: "/scans/42/launch", status: 503, body: "<html>down</html>" });
    const { outcome, attempts } = await runNode(launchScan, {
      config: { scanId: 42 },
      credentials: credentials(),
      retry: { maxAttempts: 2 },
    });
    expect(outcome.status).toBe("succeeded");
    expect(attempts).toBe(2);
  });
});

describe("tenable.scanStatus", () => {
  it("reports the latest status", async () => {
    fake.scans.get(42)!.status = "aborted";
    const { outcome } = await runNode(scanStatus, { config: { scanId: 42 }, credentials: credentials() });
    expect(outcome).toMatchObject({
      status: "succeeded",
      output: { status: "aborted", finished: true, completed: false },
    });
  });

  it("suspends while the scan is running when asked to wait", async () => {
    fake.scans.get(42)!.status = "running";
    fake.scans.get(42)!.pollsUntilCompleted = 5;
    const { outcome } = await runNode(scanStatus, {
      config: { scanId: 42, waitForCompletion: true },
      credentials: credentials(),
    });
    expect(outcome.status).toBe("suspended");
  });

  it("is cancelled mid-call when the run is cancelled", async () => {
    fake.inject({ path: /latest-status$/, hang: true });
    const controller = new AbortController();
    const watcher = setInterval(() => {
      if (fake.calls("GET", /latest-status$/).length > 0) controller.abort();
    }, 5);
    try {
      const { outcome } = await runNode(scanStatus, {
        config: { scanId: 42 },
        credentials: credentials(),
        signal: controller.signal,
      });
      expect(outcome.status).toBe("cancelled");
    } finally {
      clearInterval(watcher);
    }
  });
});

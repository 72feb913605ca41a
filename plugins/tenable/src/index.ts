// @weft/plugin-tenable: Tenable Vulnerability Management nodes.
import { definePlugin } from "@weft/sdk";
import pkg from "../package.json" with { type: "json" };
import { tenableCredential } from "./credential.ts";
import { exportVulnerabilities } from "./export-vulnerabilities.ts";
import { launchScan, scanStatus } from "./scans.ts";

export { TENABLE_CLOUD_URL, tenableCredential } from "./credential.ts";
export { TenableErrorCode } from "./errors.ts";
export { exportRequest, exportVulnerabilities } from "./export-vulnerabilities.ts";
export type { Finding, SeverityCounts } from "./findings.ts";
export { normaliseFinding } from "./findings.ts";
export { launchScan, scanStatus, TERMINAL_SCAN_STATUSES } from "./scans.ts";

export default definePlugin({
  name: pkg.name,
  version: pkg.version,
  engine: pkg.weft.engine,
  description: pkg.description,
  nodes: [exportVulnerabilities, launchScan, scanStatus],
  credentials: [tenableCredential],
});

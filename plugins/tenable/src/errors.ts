// Error codes raised by @weft/plugin-tenable (documented in docs/errors.md). HTTP statuses map to the
// SDK's shared codes (WEFT_E_AUTH, WEFT_E_REMOTE_NOT_FOUND, WEFT_E_RATE_LIMITED, WEFT_E_HTTP_STATUS).
import type { HttpService } from "@weft/sdk";

export const TenableErrorCode = {
  /** The export ended `ERROR` (retryable: a new attempt starts a new export) or `CANCELLED` (not retryable). */
  ExportFailed: "WEFT_E_TENABLE_EXPORT_FAILED",
  /** The export did not finish before the node's `deadlineSeconds`; it was cancelled. Not retryable. */
  ExportDeadline: "WEFT_E_TENABLE_EXPORT_DEADLINE",
  /** A chunk listed as available was gone (404: export expired). Retryable: a new attempt re-exports. */
  ChunkExpired: "WEFT_E_TENABLE_CHUNK_EXPIRED",
  /** The Tenable host could not be reached (DNS, refused, reset). Retryable. */
  Unreachable: "WEFT_E_TENABLE_UNREACHABLE",
  /** Tenable answered with a body the plugin cannot read. */
  BadResponse: "WEFT_E_TENABLE_BAD_RESPONSE",
} as const;

/** How the SDK's HTTP calls name Tenable and its unreachable / bad-response errors. */
export const tenableService: HttpService = {
  name: "Tenable",
  unreachableCode: TenableErrorCode.Unreachable,
  badResponseCode: TenableErrorCode.BadResponse,
};

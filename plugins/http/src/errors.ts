// The HTTP plugin's own error codes. Statuses map through the SDK's HttpStatusError
// (WEFT_E_AUTH, WEFT_E_REMOTE_NOT_FOUND, WEFT_E_RATE_LIMITED, WEFT_E_HTTP_STATUS).
export const HttpErrorCode = {
  /** The request did not complete within the node's `timeoutMs` (retryable). */
  Timeout: "WEFT_E_HTTP_TIMEOUT",
  /** The connection failed: refused, reset, DNS, TLS (retryable). */
  Network: "WEFT_E_HTTP_NETWORK",
  /** The response body is larger than `maxResponseBytes` (not retryable). */
  ResponseTooLarge: "WEFT_E_HTTP_RESPONSE_TOO_LARGE",
  /** `responseType: "json"` but the body is not JSON (not retryable). */
  ResponseInvalid: "WEFT_E_HTTP_RESPONSE_INVALID",
  /** The request cannot be built from the config: a body on GET/HEAD, auth without a credential. */
  RequestInvalid: "WEFT_E_HTTP_REQUEST_INVALID",
} as const;

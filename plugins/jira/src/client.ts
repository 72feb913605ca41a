import { type HttpCallContext, type HttpRequestOptions, readJsonBody, sendRequest } from "@weft/sdk";
import type { JiraCredentialValues } from "./credential.ts";
import { jiraError, jiraService } from "./errors.ts";

/** Thin Jira Cloud REST v3 client: Basic auth, URLs, error mapping and the plugin's retry policy. */
export class JiraClient {
  readonly baseUrl: string;
  readonly #authorization: string;
  readonly #call: HttpCallContext;

  constructor(values: JiraCredentialValues, call: HttpCallContext) {
    this.baseUrl = values.baseUrl.replace(/\/+$/, "");
    this.#authorization = `Basic ${Buffer.from(`${values.email}:${values.apiToken}`).toString("base64")}`;
    this.#call = call;
  }

  /** The browser URL of an issue. */
  browseUrl(key: string): string {
    return `${this.baseUrl}/browse/${encodeURIComponent(key)}`;
  }

  request(method: HttpRequestOptions["method"], path: string, options: { body?: unknown; idempotent?: boolean } = {}) {
    return sendRequest(this.#call, {
      service: jiraService,
      method,
      url: `${this.baseUrl}${path}`,
      headers: { authorization: this.#authorization },
      body: options.body,
      idempotent: options.idempotent ?? method === "GET",
      mapError: jiraError,
    });
  }

  async json<T>(
    method: HttpRequestOptions["method"],
    path: string,
    options: { body?: unknown; idempotent?: boolean } = {},
  ) {
    const response = await this.request(method, path, options);
    return readJsonBody<T>(response, jiraService, `${method} ${path}`);
  }
}

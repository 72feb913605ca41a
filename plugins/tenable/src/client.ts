import { type HttpCallContext, type HttpRequestOptions, readJsonBody, sendRequest } from "@weft/sdk";
import type { TenableCredentialValues } from "./credential.ts";
import { tenableService } from "./errors.ts";

/** Thin Tenable API client: authentication, URLs and the plugin's retry policy. */
export class TenableClient {
  readonly baseUrl: string;
  readonly #apiKeys: string;
  readonly #call: HttpCallContext;

  constructor(values: TenableCredentialValues, call: HttpCallContext) {
    this.baseUrl = values.baseUrl.replace(/\/+$/, "");
    this.#apiKeys = `accessKey=${values.accessKey};secretKey=${values.secretKey}`;
    this.#call = call;
  }

  /** Sends a request; resolves with the response when it is 2xx or one of `accept`. */
  request(
    method: HttpRequestOptions["method"],
    path: string,
    options: { body?: unknown; accept?: readonly number[]; idempotent?: boolean; signal?: AbortSignal } = {},
  ): Promise<Response> {
    const call = options.signal ? { ...this.#call, signal: options.signal } : this.#call;
    return sendRequest(call, {
      service: tenableService,
      method,
      url: `${this.baseUrl}${path}`,
      headers: { "x-apikeys": this.#apiKeys },
      body: options.body,
      accept: options.accept,
      idempotent: options.idempotent ?? method === "GET",
    });
  }

  async json<T>(
    method: HttpRequestOptions["method"],
    path: string,
    options: { body?: unknown; idempotent?: boolean } = {},
  ) {
    const response = await this.request(method, path, options);
    return readJsonBody<T>(response, tenableService, `${method} ${path}`);
  }
}

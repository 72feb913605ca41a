import type { TenableCredentialValues } from "./credential.ts";
import { type CallContext, readJson, type SendOptions, send } from "./http.ts";

/** Thin Tenable API client: authentication, URLs and the plugin's retry policy. */
export class TenableClient {
  readonly baseUrl: string;
  readonly #apiKeys: string;
  readonly #call: CallContext;

  constructor(values: TenableCredentialValues, call: CallContext) {
    this.baseUrl = values.baseUrl.replace(/\/+$/, "");
    this.#apiKeys = `accessKey=${values.accessKey};secretKey=${values.secretKey}`;
    this.#call = call;
  }

  /** Sends a request; resolves with the response when it is 2xx or one of `accept`. */
  request(
    method: SendOptions["method"],
    path: string,
    options: { body?: unknown; accept?: readonly number[]; idempotent?: boolean; signal?: AbortSignal } = {},
  ): Promise<Response> {
    const call = options.signal ? { ...this.#call, signal: options.signal } : this.#call;
    return send(call, {
      method,
      url: `${this.baseUrl}${path}`,
      headers: { "x-apikeys": this.#apiKeys },
      body: options.body,
      accept: options.accept,
      idempotent: options.idempotent ?? method === "GET",
    });
  }

  async json<T>(method: SendOptions["method"], path: string, options: { body?: unknown; idempotent?: boolean } = {}) {
    const response = await this.request(method, path, options);
    return readJson<T>(response, `${method} ${path}`);
  }
}

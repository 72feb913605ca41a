// @weft/plugin-http: the `http.request` node and the HTTP credential types.

import { definePlugin } from "@weft/sdk";
import pkg from "../package.json" with { type: "json" };
import { credentials } from "./credentials.ts";
import { request } from "./request.ts";

export { apiKeyCredential, basicCredential, bearerCredential } from "./credentials.ts";
export { HttpErrorCode } from "./errors.ts";
export { request, requestConfig, requestOutput } from "./request.ts";

export default definePlugin({
  name: pkg.name,
  version: pkg.version,
  engine: pkg.weft.engine,
  description: pkg.description,
  nodes: [request],
  credentials,
});
